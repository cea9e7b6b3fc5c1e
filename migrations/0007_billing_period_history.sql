-- Records each subscription period in billing_periods whenever a subscription is written, whatever
-- the code path (trial start, Stripe webhooks, operators, test factories).
CREATE OR REPLACE FUNCTION record_billing_period() RETURNS trigger AS $$
BEGIN
  INSERT INTO billing_periods (customer_id, plan_id, period_start, period_end, status)
  VALUES (NEW.customer_id, NEW.plan_id, NEW.current_period_start, NEW.current_period_end, NEW.status)
  ON CONFLICT (customer_id, period_start) DO UPDATE
    SET plan_id = excluded.plan_id, period_end = excluded.period_end, status = excluded.status, updated_at = now();
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER subscriptions_record_billing_period
  AFTER INSERT OR UPDATE OF plan_id, current_period_start, current_period_end, status ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION record_billing_period();
--> statement-breakpoint
INSERT INTO billing_periods (customer_id, plan_id, period_start, period_end, status)
SELECT customer_id, plan_id, current_period_start, current_period_end, status FROM subscriptions
ON CONFLICT (customer_id, period_start) DO NOTHING;
