CREATE TABLE "edge_state_versions" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "edge_state_versions" ADD CONSTRAINT "edge_state_versions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
INSERT INTO "edge_state_versions" ("customer_id") SELECT "id" FROM "customers";
--> statement-breakpoint
-- Bumps the given customers' versions (a first row for a new customer), in customer id order so two
-- transactions bumping overlapping sets queue instead of deadlocking. A customer deleted meanwhile is skipped.
CREATE OR REPLACE FUNCTION bump_edge_state_versions(ids uuid[]) RETURNS void AS $$
  INSERT INTO edge_state_versions AS v (customer_id)
  SELECT c.id FROM customers c WHERE c.id = ANY(ids) ORDER BY c.id
  ON CONFLICT (customer_id) DO UPDATE SET version = v.version + 1, changed_at = now();
$$ LANGUAGE sql;
--> statement-breakpoint
-- Which customers a change to a row of a table the hot-path snapshot reads (src/edge/snapshot.ts) concerns.
CREATE OR REPLACE FUNCTION edge_state_changed() RETURNS trigger AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_TABLE_NAME = 'customers' THEN
    ids := ARRAY[NEW.id];
  ELSIF TG_TABLE_NAME = 'plans' THEN
    ids := ARRAY(SELECT customer_id FROM subscriptions WHERE plan_id = NEW.id);
  ELSIF TG_TABLE_NAME = 'agent_types' THEN
    ids := ARRAY(SELECT DISTINCT customer_id FROM agent_instances WHERE agent_type_id = NEW.id);
  ELSIF TG_OP = 'INSERT' THEN
    ids := ARRAY[NEW.customer_id];
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY[OLD.customer_id];
  ELSE
    ids := ARRAY[OLD.customer_id, NEW.customer_id];
  END IF;
  PERFORM bump_edge_state_versions(ids);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Deferred to the commit: the version row is the last lock a transaction takes, after every lock of
-- the documented order (src/billing/rules/customer-lock.ts), so it adds no deadlock; a transaction
-- that rolls back bumps nothing. Updates that change nothing bump nothing.
CREATE CONSTRAINT TRIGGER customers_edge_state_insert AFTER INSERT ON customers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER customers_edge_state_update AFTER UPDATE ON customers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER subscriptions_edge_state AFTER INSERT OR DELETE ON subscriptions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER subscriptions_edge_state_update AFTER UPDATE ON subscriptions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER extra_usage_balances_edge_state AFTER INSERT OR DELETE ON extra_usage_balances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER extra_usage_balances_edge_state_update AFTER UPDATE ON extra_usage_balances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER usage_records_edge_state AFTER INSERT OR DELETE ON usage_records
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER usage_records_edge_state_update AFTER UPDATE ON usage_records
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER agent_instances_edge_state AFTER INSERT OR DELETE ON agent_instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER agent_instances_edge_state_update AFTER UPDATE ON agent_instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
-- A knowledge base matters to the snapshot by its name (an agent's link is the agent's own row).
CREATE CONSTRAINT TRIGGER knowledge_bases_edge_state AFTER DELETE ON knowledge_bases
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER knowledge_bases_edge_state_update AFTER UPDATE ON knowledge_bases
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
  EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
-- A plan's limits or an agent type's template concern every customer on it.
CREATE CONSTRAINT TRIGGER plans_edge_state AFTER UPDATE ON plans
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER agent_types_edge_state AFTER UPDATE ON agent_types
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION edge_state_changed();
