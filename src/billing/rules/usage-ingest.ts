import { sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Executor } from '../../db/client'
import { enterGracePeriods } from './grace-period'
import { crossesLimit, overageCents } from './overage'
import { normalizeLimits } from './plan-limits'
import { parseBillingSettings } from './settings'
import { uuidList } from './sql-lists'
import {
  type RejectionReason,
  rejectionMessages,
  screenReports,
  type UsageReportError,
  type ValidReport,
} from './usage-report'

export interface UsageBatchResult {
  accepted: number
  rejected: number
  errors: UsageReportError[]
}

const customerChange = z.object({
  customer_id: z.string(),
  limits: z.unknown(),
  before_messages: z.coerce.number(),
  before_tokens: z.coerce.number(),
  added_messages: z.coerce.number(),
  added_tokens: z.coerce.number(),
  balance_cents: z.coerce.number(),
  grace_running: z.boolean(),
})
const outcome = z.object({ index: z.number(), reason: z.string() })
const batchRow = z.object({
  rejected: z.array(outcome).nullable(),
  customers: z.array(customerChange).nullable(),
})

/**
 * LOCK ORDER. Every transaction that changes a customer's billing rows locks the customer row first
 * (`customers ... FOR UPDATE`), then touches that customer's usage records, extra-usage balance,
 * subscription and agents; several customers are locked in id order. Usage ingest (here), every
 * Stripe event effect (`resolveCustomer` / `lockSubscriptionCustomer` in billing/stripe) and the
 * grace-expiry job follow it, so work on one customer queues instead of deadlocking (40P01);
 * test/races/ runs them against each other on a real PostgreSQL.
 *
 * Locks the customers the batch touches, so their usage totals and balances are read and updated in turn.
 */
function lockCustomers(agentIds: string[]) {
  return sql`
    SELECT c.id, (SELECT jsonb_object_agg(key, value) FROM billing_settings) AS settings
    FROM customers c
    WHERE c.id IN (SELECT customer_id FROM agent_instances WHERE id IN (${uuidList(agentIds)}))
    ORDER BY c.id
    FOR UPDATE OF c`
}

/**
 * Set-based ingest: resolves every report's agent and billing period, inserts the reports (a request_id
 * counts once, ever), adds the accepted metrics to each agent's usage record for the period, and answers
 * which reports were rejected plus each customer's usage before and after.
 */
function ingestStatement(reports: ValidReport[], now: Date) {
  const input = JSON.stringify(
    reports.map((r) => ({
      i: r.index,
      request_id: r.requestId,
      agent_instance_id: r.agentId,
      reported_at: r.reportedAt.toISOString(),
      messages: r.messages,
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
    })),
  )
  return sql`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS r(
        i int, request_id text, agent_instance_id uuid, reported_at timestamptz,
        messages bigint, input_tokens bigint, output_tokens bigint)
    ), resolved AS (
      SELECT i.*, a.customer_id, s.current_period_start, s.current_period_end,
        CASE
          WHEN a.id IS NULL THEN 'unknown_agent'
          WHEN s.id IS NULL THEN 'no_subscription'
          WHEN i.reported_at < s.current_period_start OR i.reported_at >= s.current_period_end
            THEN 'outside_current_period'
        END AS reason
      FROM input i
      LEFT JOIN agent_instances a ON a.id = i.agent_instance_id
      LEFT JOIN subscriptions s ON s.customer_id = a.customer_id
    ), inserted AS (
      INSERT INTO usage_reports (request_id, customer_id, agent_instance_id, reported_at, messages, input_tokens, output_tokens)
      SELECT request_id, customer_id, agent_instance_id, reported_at, messages, input_tokens, output_tokens
      FROM resolved WHERE reason IS NULL
      -- In request_id order: two batches holding different customers' locks (a request_id reused
      -- across customers) then wait on each other's keys in one direction only, never in a cycle.
      ORDER BY request_id, i
      ON CONFLICT (request_id) DO NOTHING
      RETURNING request_id
    ), counted AS (
      SELECT r.* FROM resolved r JOIN inserted USING (request_id)
    ), recorded AS (
      INSERT INTO usage_records (customer_id, agent_instance_id, period_start, period_end, messages, input_tokens, output_tokens)
      SELECT customer_id, agent_instance_id, current_period_start, current_period_end,
             sum(messages), sum(input_tokens), sum(output_tokens)
      FROM counted
      GROUP BY customer_id, agent_instance_id, current_period_start, current_period_end
      ON CONFLICT (agent_instance_id, period_start) DO UPDATE SET
        messages = usage_records.messages + excluded.messages,
        input_tokens = usage_records.input_tokens + excluded.input_tokens,
        output_tokens = usage_records.output_tokens + excluded.output_tokens,
        period_end = excluded.period_end,
        updated_at = now()
    ), added AS (
      SELECT customer_id, sum(messages) AS messages, sum(input_tokens + output_tokens) AS tokens
      FROM counted GROUP BY customer_id
    )
    SELECT
      (SELECT jsonb_agg(jsonb_build_object('index', r.i, 'reason', coalesce(r.reason, 'duplicate_request_id')))
       FROM resolved r
       WHERE r.reason IS NOT NULL OR NOT EXISTS (SELECT 1 FROM inserted x WHERE x.request_id = r.request_id)
      ) AS rejected,
      (SELECT jsonb_agg(jsonb_build_object(
          'customer_id', ad.customer_id,
          'limits', p.limits,
          'before_messages', u.messages,
          'before_tokens', u.tokens,
          'added_messages', ad.messages,
          'added_tokens', ad.tokens,
          'balance_cents', coalesce(b.balance_cents, 0),
          'grace_running', coalesce(c.grace_period_ends_at > ${now.toISOString()}::timestamptz, false)))
       FROM added ad
       JOIN customers c ON c.id = ad.customer_id
       JOIN subscriptions s ON s.customer_id = ad.customer_id
       JOIN plans p ON p.id = s.plan_id
       LEFT JOIN extra_usage_balances b ON b.customer_id = ad.customer_id
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(r.messages), 0) AS messages, coalesce(sum(r.input_tokens + r.output_tokens), 0) AS tokens
         FROM usage_records r
         WHERE r.customer_id = ad.customer_id
           AND r.period_start < s.current_period_end AND r.period_end > s.current_period_start
       ) u
      ) AS customers`
}

function chargeBalances(charges: Array<{ customer_id: string; cents: number }>) {
  return sql`
    UPDATE extra_usage_balances b
    SET balance_cents = greatest(0, b.balance_cents - x.cents), updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(charges)}::jsonb) AS x(customer_id uuid, cents bigint)
    WHERE b.customer_id = x.customer_id`
}

/**
 * Ingests up to a batch of usage reports in one transaction and a constant number of statements:
 * lock the customers, insert + aggregate, then (only when needed) start grace periods and charge
 * overage to the extra balance. Reports are judged one by one; the rejected ones come back in `errors`.
 */
export async function ingestUsageBatch(
  db: Executor,
  reports: readonly unknown[],
  now: Date = new Date(),
): Promise<UsageBatchResult> {
  const { valid, errors } = screenReports(reports, now)
  if (valid.length > 0) {
    const rejected = await db.transaction(async (tx) => {
      const locked = await tx.execute<{ id: string; settings: Record<string, unknown> | null }>(
        lockCustomers([...new Set(valid.map((r) => r.agentId))]),
      )
      const settings = parseBillingSettings(locked.rows[0]?.settings)
      const { rows } = await tx.execute(ingestStatement(valid, now))
      const result = batchRow.parse(rows[0])
      const changes = (result.customers ?? []).map((c) => ({
        customerId: c.customer_id,
        balanceCents: c.balance_cents,
        graceRunning: c.grace_running,
        change: {
          limits: normalizeLimits(c.limits),
          before: { messages: c.before_messages, tokens: c.before_tokens },
          added: { messages: c.added_messages, tokens: c.added_tokens },
        },
      }))
      const graceNeeded = changes.filter((c) => !c.graceRunning && crossesLimit(c.change)).map((c) => c.customerId)
      if (graceNeeded.length > 0) await enterGracePeriods(tx, graceNeeded, settings.grace_period_hours, now)
      const charges = changes
        .map((c) => ({ customer_id: c.customerId, cents: overageCents(c.change, settings), balance: c.balanceCents }))
        .filter((c) => c.cents > 0 && c.balance > 0)
        .map(({ customer_id, cents }) => ({ customer_id, cents }))
      if (charges.length > 0) await tx.execute(chargeBalances(charges))
      return result.rejected ?? []
    })
    const byIndex = new Map(valid.map((r) => [r.index, r.requestId]))
    for (const r of rejected) {
      const reason = r.reason as RejectionReason
      errors.push({
        index: r.index,
        request_id: byIndex.get(r.index) ?? null,
        reason,
        message: rejectionMessages[reason],
      })
    }
  }
  errors.sort((a, b) => a.index - b.index)
  return { accepted: reports.length - errors.length, rejected: errors.length, errors }
}
