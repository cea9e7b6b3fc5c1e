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
 * The billing snapshot of one customer, as a subquery: `customerId` is the customer's id (a parameter, or
 * a column of the caller's row when used in a `LATERAL` join). One row, none for an unknown customer.
 * Timestamps come back as epoch milliseconds, sums as float8, so the driver hands over plain numbers.
 *
 * Usage counts the records that start inside the current period: a record is keyed by the start of the
 * period its reports belong to, so a trial that overlaps the first paid period, or a closed period that
 * received a late report, never counts against the current one.
 */
export function billingSnapshotQuery(customerId: SQL) {
  return sql`
    SELECT
      c.is_active AS customer_is_active,
      ${epochMs('c.grace_period_ends_at')} AS grace_period_ends_at,
      s.status AS subscription_status,
      ${epochMs('s.current_period_start')} AS current_period_start,
      ${epochMs('s.current_period_end')} AS current_period_end,
      ${epochMs('s.trial_ends_at')} AS trial_ends_at,
      p.slug AS plan_slug,
      p.limits AS plan_limits,
      coalesce(b.balance_cents, 0)::float8 AS balance_cents,
      u.messages AS used_messages,
      u.input_tokens AS used_input_tokens,
      u.output_tokens AS used_output_tokens
    FROM customers c
    LEFT JOIN subscriptions s ON s.customer_id = c.id
    LEFT JOIN plans p ON p.id = s.plan_id
    LEFT JOIN extra_usage_balances b ON b.customer_id = c.id
    LEFT JOIN LATERAL (
      SELECT coalesce(sum(r.messages), 0)::float8 AS messages,
             coalesce(sum(r.input_tokens), 0)::float8 AS input_tokens,
             coalesce(sum(r.output_tokens), 0)::float8 AS output_tokens
      FROM usage_records r
      WHERE r.customer_id = c.id
        AND r.period_start >= s.current_period_start
        AND r.period_start < s.current_period_end
    ) u ON true
    WHERE c.id = ${customerId}`
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
