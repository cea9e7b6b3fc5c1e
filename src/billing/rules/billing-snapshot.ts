import { type SQL, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Executor } from '../../db/client'
import type { PlanLimits } from '../../db/schema'
import { normalizeLimits } from './plan-limits'

/** What the can-respond rules need to know about a customer, read in the same statement as its agent. */
export interface BillingSnapshot {
  subscription: {
    status: string
    planSlug: string
    limits: PlanLimits
    currentPeriodStart: Date
    currentPeriodEnd: Date
    trialEndsAt: Date | null
  } | null
  /** Summed over all the customer's agents, for the subscription's current period. */
  usage: { messages: number; inputTokens: number; outputTokens: number }
  balanceCents: number
  gracePeriodEndsAt: Date | null
  /** False while an operator has suspended the customer: nothing of theirs is served. */
  customerActive: boolean
}

const epochMs = (column: string) => sql.raw(`(extract(epoch FROM ${column}) * 1000)::float8`)

/**
 * The billing snapshot of one customer, as a subquery with the columns of {@link billingSnapshotRow}:
 * `customerId` is the customer's id (a parameter, or a column of the caller's row when used in a
 * `LATERAL` join, e.g. `a.customer_id`). One row, none for an unknown customer. Its own tables go by
 * `snapshot_*` names, so no alias of the caller's query is shadowed inside it. Timestamps come back as
 * epoch milliseconds, sums as float8, so the driver hands over plain numbers.
 *
 * Usage counts the records that start inside the current period: a record is keyed by the start of the
 * period its reports belong to, so a trial that overlaps the first paid period, or a closed period that
 * received a late report, never counts against the current one.
 */
export function billingSnapshotQuery(customerId: SQL) {
  return sql`
    SELECT
      snapshot_customer.is_active AS customer_is_active,
      ${epochMs('snapshot_customer.grace_period_ends_at')} AS grace_period_ends_at,
      snapshot_subscription.status AS subscription_status,
      ${epochMs('snapshot_subscription.current_period_start')} AS current_period_start,
      ${epochMs('snapshot_subscription.current_period_end')} AS current_period_end,
      ${epochMs('snapshot_subscription.trial_ends_at')} AS trial_ends_at,
      snapshot_plan.slug AS plan_slug,
      snapshot_plan.limits AS plan_limits,
      coalesce(snapshot_balance.balance_cents, 0)::float8 AS balance_cents,
      snapshot_usage.messages AS used_messages,
      snapshot_usage.input_tokens AS used_input_tokens,
      snapshot_usage.output_tokens AS used_output_tokens
    FROM customers snapshot_customer
    LEFT JOIN subscriptions snapshot_subscription ON snapshot_subscription.customer_id = snapshot_customer.id
    LEFT JOIN plans snapshot_plan ON snapshot_plan.id = snapshot_subscription.plan_id
    LEFT JOIN extra_usage_balances snapshot_balance ON snapshot_balance.customer_id = snapshot_customer.id
    LEFT JOIN LATERAL (
      SELECT coalesce(sum(snapshot_record.messages), 0)::float8 AS messages,
             coalesce(sum(snapshot_record.input_tokens), 0)::float8 AS input_tokens,
             coalesce(sum(snapshot_record.output_tokens), 0)::float8 AS output_tokens
      FROM usage_records snapshot_record
      WHERE snapshot_record.customer_id = snapshot_customer.id
        AND snapshot_record.period_start >= snapshot_subscription.current_period_start
        AND snapshot_record.period_start < snapshot_subscription.current_period_end
    ) snapshot_usage ON true
    WHERE snapshot_customer.id = ${customerId}`
}

/** {@link billingSnapshotQuery} of one customer, by id. */
export async function readBillingSnapshot(db: Executor, customerId: string): Promise<BillingSnapshot | null> {
  const { rows } = await db.execute(billingSnapshotQuery(sql`${customerId}::uuid`))
  return rows[0] ? toBillingSnapshot(billingSnapshotRow.parse(rows[0])) : null
}

const num = z.coerce.number()
const date = num.nullable().transform((ms) => (ms === null ? null : new Date(ms)))

export const billingSnapshotRow = z.object({
  customer_is_active: z.boolean(),
  grace_period_ends_at: date,
  subscription_status: z.string().nullable(),
  current_period_start: date,
  current_period_end: date,
  trial_ends_at: date,
  plan_slug: z.string().nullable(),
  plan_limits: z.unknown(),
  balance_cents: num,
  used_messages: num,
  used_input_tokens: num,
  used_output_tokens: num,
})

export function toBillingSnapshot(row: z.infer<typeof billingSnapshotRow>): BillingSnapshot {
  const hasSubscription = row.subscription_status !== null && row.current_period_start && row.current_period_end
  return {
    subscription: hasSubscription
      ? {
          status: row.subscription_status as string,
          planSlug: row.plan_slug ?? '',
          limits: normalizeLimits(row.plan_limits),
          currentPeriodStart: row.current_period_start as Date,
          currentPeriodEnd: row.current_period_end as Date,
          trialEndsAt: row.trial_ends_at,
        }
      : null,
    usage: { messages: row.used_messages, inputTokens: row.used_input_tokens, outputTokens: row.used_output_tokens },
    balanceCents: row.balance_cents,
    gracePeriodEndsAt: row.grace_period_ends_at,
    customerActive: row.customer_is_active,
  }
}
