CREATE TABLE "balance_ledger" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"balance_after_cents" integer NOT NULL,
	"stripe_checkout_session_id" text,
	"period_start" timestamp with time zone,
	"operator_action_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "balance_ledger_stripe_checkout_session_id_unique" UNIQUE("stripe_checkout_session_id"),
	CONSTRAINT "balance_ledger_kind_check" CHECK (kind IN ('opening_balance', 'top_up', 'overage_charge', 'operator_credit')),
	CONSTRAINT "balance_ledger_amount_check" CHECK ("balance_ledger"."amount_cents" <> 0),
	CONSTRAINT "balance_ledger_source_check" CHECK (kind = 'opening_balance'
        OR (kind = 'top_up' AND stripe_checkout_session_id IS NOT NULL)
        OR (kind = 'overage_charge' AND period_start IS NOT NULL AND amount_cents < 0)
        OR (kind = 'operator_credit' AND operator_action_id IS NOT NULL AND amount_cents > 0))
);
--> statement-breakpoint
CREATE TABLE "operator_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"operator" text NOT NULL,
	"action" text NOT NULL,
	"customer_id" uuid,
	"target" text NOT NULL,
	"reason" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "operator_actions_action_check" CHECK (action IN ('suspend', 'resume', 'credit', 'documents.retry', 'notifications.retry'))
);
--> statement-breakpoint
ALTER TABLE "balance_ledger" ADD CONSTRAINT "balance_ledger_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "balance_ledger" ADD CONSTRAINT "balance_ledger_operator_action_id_operator_actions_id_fk" FOREIGN KEY ("operator_action_id") REFERENCES "public"."operator_actions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operator_actions" ADD CONSTRAINT "operator_actions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "balance_ledger_customer_idx" ON "balance_ledger" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "operator_actions_customer_idx" ON "operator_actions" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "operator_actions_created_idx" ON "operator_actions" USING btree ("created_at");--> statement-breakpoint
-- Balances that predate the ledger start it with one opening row each, so balance = sum(ledger) from here on.
INSERT INTO "balance_ledger" ("customer_id", "kind", "amount_cents", "balance_after_cents")
SELECT "customer_id", 'opening_balance', "balance_cents", "balance_cents" FROM "extra_usage_balances" WHERE "balance_cents" <> 0;
