CREATE TABLE "edge_state_versions" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "edge_state_versions" ADD CONSTRAINT "edge_state_versions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Edge state versions: every committed change to what a customer's edge snapshot reads raises that
-- customer's version by one, whatever wrote it (the app, a job, psql). Two triggers per table:
--   *_edge_state_note     a plain AFTER ROW trigger: notes the affected ids (customers, or plans /
--                         agent types whose customers are found at commit) in transaction-local settings;
--   *_edge_state_version  a DEFERRABLE INITIALLY DEFERRED constraint trigger: at commit, the first one
--                         to fire bumps every noted customer in one call, in customer_id order; the
--                         rest find nothing noted.
-- So a transaction takes its version row locks once, last (after every lock of the order in
-- src/billing/rules/customer-lock.ts), and all of them in one global order: two committing
-- transactions never wait on each other's version rows in a cycle. A savepoint rolled back takes its
-- notes and its queued events with it; a rolled-back transaction bumps nothing.
-- The names sort the note before the version trigger, so under SET CONSTRAINTS ... IMMEDIATE a row is
-- noted before its flush runs.

-- Raises the versions of these customers (distinct ids): existing rows locked in customer_id order,
-- then a first row (version 1) for a customer that has none yet (inserted in this transaction).
-- A customer deleted meanwhile has no row (the cascade removed it) and is not in customers: skipped.
CREATE FUNCTION bump_edge_state_versions(customer_ids uuid[]) RETURNS void AS $$
DECLARE
  bumped integer;
BEGIN
  PERFORM 1 FROM edge_state_versions WHERE customer_id = ANY (customer_ids) ORDER BY customer_id FOR UPDATE;
  UPDATE edge_state_versions SET version = version + 1, changed_at = now() WHERE customer_id = ANY (customer_ids);
  GET DIAGNOSTICS bumped = ROW_COUNT;
  IF bumped < cardinality(customer_ids) THEN
    INSERT INTO edge_state_versions (customer_id)
    SELECT id FROM customers WHERE id = ANY (customer_ids) ORDER BY id
    ON CONFLICT (customer_id) DO NOTHING;
  END IF;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Adds an id to the transaction's pending set `edge_state.<kind>` (customers, plans, agent_types): a
-- comma-separated text, so a row that notes an id already there costs a string search.
CREATE FUNCTION edge_state_note(kind text, id uuid) RETURNS void AS $$
DECLARE
  setting text := 'edge_state.' || kind;
  pending text := coalesce(current_setting(setting, true), '');
BEGIN
  IF id IS NOT NULL AND strpos(pending, id::text) = 0 THEN
    PERFORM set_config(setting, CASE WHEN pending = '' THEN id::text ELSE pending || ',' || id::text END, true);
  END IF;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- The transaction's pending set `edge_state.<kind>` (distinct ids), emptied.
CREATE FUNCTION edge_state_take(kind text) RETURNS uuid[] AS $$
DECLARE
  setting text := 'edge_state.' || kind;
  pending text := current_setting(setting, true);
BEGIN
  IF pending IS NULL OR pending = '' THEN
    RETURN '{}';
  END IF;
  PERFORM set_config(setting, '', true);
  RETURN string_to_array(pending, ',')::uuid[];
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- The constraint trigger's function: bumps everything the transaction noted, once. The customers of a
-- changed plan or agent type are found here, at commit, so subscriptions and agents written earlier
-- in the transaction (or committed by others meanwhile) count.
CREATE FUNCTION edge_state_flush() RETURNS trigger AS $$
DECLARE
  customer_ids uuid[] := edge_state_take('customers');
  plan_ids uuid[] := edge_state_take('plans');
  agent_type_ids uuid[] := edge_state_take('agent_types');
BEGIN
  IF cardinality(plan_ids) > 0 OR cardinality(agent_type_ids) > 0 THEN
    customer_ids := ARRAY(
      SELECT unnest(customer_ids)
      UNION SELECT customer_id FROM subscriptions WHERE plan_id = ANY (plan_ids)
      UNION SELECT customer_id FROM agent_instances WHERE agent_type_id = ANY (agent_type_ids));
  END IF;
  IF cardinality(customer_ids) > 0 THEN
    PERFORM bump_edge_state_versions(customer_ids);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- The note triggers' functions. An update that changes nothing but updated_at (drizzle sets it on
-- every update) notes nothing: every table here has updated_at.
CREATE FUNCTION edge_state_note_customer() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := OLD.updated_at;
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NULL;
    END IF;
    PERFORM edge_state_note('customers', OLD.id);
  END IF;
  PERFORM edge_state_note('customers', NEW.id);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Rows that belong to one customer (customer_id): the old and the new owner.
CREATE FUNCTION edge_state_note_customer_row() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := OLD.updated_at;
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NULL;
    END IF;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    PERFORM edge_state_note('customers', OLD.customer_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM edge_state_note('customers', NEW.customer_id);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Rows many customers share (plans, agent_types; TG_ARGV[0] names the kind): an update concerns the
-- customers that use the row at commit. A new row is used by nobody yet; one in use cannot be deleted.
CREATE FUNCTION edge_state_note_shared_row() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := OLD.updated_at;
  IF NEW IS DISTINCT FROM OLD THEN
    PERFORM edge_state_note(TG_ARGV[0], OLD.id);
    PERFORM edge_state_note(TG_ARGV[0], NEW.id);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER customers_edge_state_note AFTER INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_customer();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER customers_edge_state_version AFTER INSERT OR UPDATE ON customers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
CREATE TRIGGER subscriptions_edge_state_note AFTER INSERT OR UPDATE OR DELETE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_customer_row();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER subscriptions_edge_state_version AFTER INSERT OR UPDATE OR DELETE ON subscriptions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
CREATE TRIGGER extra_usage_balances_edge_state_note AFTER INSERT OR UPDATE OR DELETE ON extra_usage_balances
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_customer_row();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER extra_usage_balances_edge_state_version AFTER INSERT OR UPDATE OR DELETE ON extra_usage_balances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
CREATE TRIGGER usage_records_edge_state_note AFTER INSERT OR UPDATE OR DELETE ON usage_records
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_customer_row();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER usage_records_edge_state_version AFTER INSERT OR UPDATE OR DELETE ON usage_records
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
CREATE TRIGGER agent_instances_edge_state_note AFTER INSERT OR UPDATE OR DELETE ON agent_instances
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_customer_row();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER agent_instances_edge_state_version AFTER INSERT OR UPDATE OR DELETE ON agent_instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
-- knowledge_bases has no counters (document counts live in knowledge_documents), so any change counts.
CREATE TRIGGER knowledge_bases_edge_state_note AFTER INSERT OR UPDATE OR DELETE ON knowledge_bases
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_customer_row();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER knowledge_bases_edge_state_version AFTER INSERT OR UPDATE OR DELETE ON knowledge_bases
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
CREATE TRIGGER plans_edge_state_note AFTER UPDATE ON plans
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_shared_row('plans');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER plans_edge_state_version AFTER UPDATE ON plans
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
CREATE TRIGGER agent_types_edge_state_note AFTER UPDATE ON agent_types
  FOR EACH ROW EXECUTE FUNCTION edge_state_note_shared_row('agent_types');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER agent_types_edge_state_version AFTER UPDATE ON agent_types
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge_state_flush();
--> statement-breakpoint
INSERT INTO edge_state_versions (customer_id) SELECT id FROM customers ON CONFLICT (customer_id) DO NOTHING;
