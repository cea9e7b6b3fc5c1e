CREATE TABLE "attempt_counters" (
	"key" text PRIMARY KEY NOT NULL,
	"hits" integer NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"window_seconds" integer NOT NULL,
	"free_hits" integer NOT NULL,
	"max_delay_seconds" integer NOT NULL,
	"next_allowed_at" timestamp with time zone NOT NULL,
	"admitted" boolean NOT NULL
);
--> statement-breakpoint
CREATE INDEX "attempt_counters_window_idx" ON "attempt_counters" USING btree ("window_started_at");