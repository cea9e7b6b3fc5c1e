CREATE TABLE "knowledge_embedding_usage" (
	"customer_id" uuid NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "knowledge_embedding_usage_customer_id_period_start_pk" PRIMARY KEY("customer_id","period_start"),
	CONSTRAINT "knowledge_embedding_usage_tokens_check" CHECK (tokens >= 0)
);
--> statement-breakpoint
ALTER TABLE "knowledge_embedding_usage" ADD CONSTRAINT "knowledge_embedding_usage_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;