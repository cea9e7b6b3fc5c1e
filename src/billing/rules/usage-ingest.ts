import { sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Executor } from '../../db/client'
import type { UsageTotals } from '../../edge/types'
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
  before_input_tokens: z.coerce.number(),
  before_output_tokens: z.coerce.number(),
  added_input_tokens: z.coerce.number(),
  added_output_tokens: z.coerce.number(),
  balance_cents: z.coerce.number(),
  grace_running: z.boolean(),
  is_current: z.boolean(),
  period_start: z.string(),
})
const outcome = z.object({ index: z.number(), reason: z.string() })
const batchRow = z.object({
  rejected: z.array(outcome).nullable(),
  changes: z.array(customerChange).nullable(),
})

const DAY_MS = 86_400_000

/**
 * Locks the customers the batch touches (in id order), so their usage totals and balances are read and
 * updated in turn. Lock order for every billing write: src/billing/rules/customer-lock.ts.
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
 * Set-based ingest. Each report is counted in the billing period its timestamp belongs to:
 * - a period in `billing_periods` that contains it (the latest-starting one: a paid period that began
 *   during a trial takes over from it), so a report buffered across a renewal counts in the closed
 *   period, against that period's plan, and not against the current one;
 * - a timestamp at or after the stored period's end (the renewal is not known yet) counts in the period
 *   that starts where the stored one ends, which becomes the current period when the renewal arrives;
 * - older than the late-report window, before the customer's first period, or between two subscriptions:
 *   refused with that reason.
 * Usage records are keyed by (agent, period start); a period's usage is the records that start inside it,
 * before the next period starts. Inserts the reports (a request_id counts once, ever), adds them up per
 * agent and period, and answers which reports were rejected plus each touched period's usage before and after.
 */
function ingestStatement(reports: ValidReport[], now: Date, oldestAccepted: Date) {
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
        bucket.period_start, bucket.period_end, bucket.plan_id,
        CASE
          WHEN a.id IS NULL THEN 'unknown_agent'
          WHEN s.id IS NULL THEN 'no_subscription'
          WHEN i.reported_at < ${oldestAccepted.toISOString()}::timestamptz THEN 'too_old'
          WHEN first.period_start IS NULL OR i.reported_at < first.period_start THEN 'before_subscription'
          WHEN bucket.period_start IS NULL THEN 'no_billing_period'
        END AS reason
      FROM input i
      LEFT JOIN agent_instances a ON a.id = i.agent_instance_id
      LEFT JOIN subscriptions s ON s.customer_id = a.customer_id
      LEFT JOIN LATERAL (
        SELECT min(bp.period_start) AS period_start FROM billing_periods bp WHERE bp.customer_id = a.customer_id
      ) first ON true
      LEFT JOIN LATERAL (
        SELECT bp.period_start, bp.period_end, bp.plan_id
        FROM billing_periods bp
        WHERE bp.customer_id = a.customer_id AND bp.period_start <= i.reported_at AND i.reported_at < bp.period_end
        ORDER BY bp.period_start DESC
        LIMIT 1
      ) known ON true
      LEFT JOIN LATERAL (
        SELECT known.period_start, known.period_end, known.plan_id WHERE known.period_start IS NOT NULL
        UNION ALL
        SELECT s.current_period_end, s.current_period_end + (s.current_period_end - s.current_period_start), s.plan_id
        WHERE known.period_start IS NULL AND i.reported_at >= s.current_period_end
      ) bucket ON true
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
      SELECT customer_id, agent_instance_id, period_start, period_end,
             sum(messages), sum(input_tokens), sum(output_tokens)
      FROM counted
      GROUP BY customer_id, agent_instance_id, period_start, period_end
      ON CONFLICT (agent_instance_id, period_start) DO UPDATE SET
        messages = usage_records.messages + excluded.messages,
        input_tokens = usage_records.input_tokens + excluded.input_tokens,
        output_tokens = usage_records.output_tokens + excluded.output_tokens,
        period_end = excluded.period_end,
        updated_at = now()
    ), added AS (
      SELECT customer_id, period_start, period_end, plan_id,
        bool_or(period_start >= current_period_start AND period_start < current_period_end) AS is_current,
        sum(messages) AS messages, sum(input_tokens + output_tokens) AS tokens,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
      FROM counted GROUP BY customer_id, period_start, period_end, plan_id
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
          'before_input_tokens', u.input_tokens,
          'before_output_tokens', u.output_tokens,
          'added_input_tokens', ad.input_tokens,
          'added_output_tokens', ad.output_tokens,
          'balance_cents', coalesce(b.balance_cents, 0),
          'grace_running', coalesce(c.grace_period_ends_at > ${now.toISOString()}::timestamptz, false),
          'is_current', ad.is_current,
          'period_start', ad.period_start))
       FROM added ad
       JOIN customers c ON c.id = ad.customer_id
       JOIN plans p ON p.id = ad.plan_id
       LEFT JOIN extra_usage_balances b ON b.customer_id = ad.customer_id
       CROSS JOIN LATERAL (
         SELECT min(bp.period_start) AS period_start FROM billing_periods bp
         WHERE bp.customer_id = ad.customer_id AND bp.period_start > ad.period_start
       ) next
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(r.messages), 0) AS messages, coalesce(sum(r.input_tokens + r.output_tokens), 0) AS tokens,
           coalesce(sum(r.input_tokens), 0) AS input_tokens, coalesce(sum(r.output_tokens), 0) AS output_tokens
         FROM usage_records r
         WHERE r.customer_id = ad.customer_id
           AND r.period_start >= ad.period_start
           AND r.period_start < least(ad.period_end, coalesce(next.period_start, ad.period_end))
       ) u
      ) AS changes`
}

interface OverageCharge {
  customer_id: string
  period_start: string
  cents: number
  balance_after: number
}

/**
 * What each period's overage takes from the balance, in period order: a charge never takes the balance
 * below zero, so a charge is what was left when the balance runs out. Zero charges are dropped.
 */
export function overageCharges(
  owed: ReadonlyArray<{ customerId: string; periodStart: string; cents: number; balanceCents: number }>,
): OverageCharge[] {
  const balances = new Map<string, number>()
  const charges: OverageCharge[] = []
  const ordered = [...owed].sort((a, b) => Date.parse(a.periodStart) - Date.parse(b.periodStart))
  for (const o of ordered) {
    const balance = balances.get(o.customerId) ?? o.balanceCents
    const cents = Math.min(balance, o.cents)
    if (cents <= 0) continue
    balances.set(o.customerId, balance - cents)
    charges.push({ customer_id: o.customerId, period_start: o.periodStart, cents, balance_after: balance - cents })
  }
  return charges
}

/** Takes the charges from the balances and writes one ledger row per customer and period, in one statement. */
function chargeBalances(charges: OverageCharge[]) {
  return sql`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(charges)}::jsonb)
        AS x(customer_id uuid, period_start timestamptz, cents bigint, balance_after bigint)
    ), totals AS (
      SELECT customer_id, sum(cents) AS cents FROM x GROUP BY customer_id
    ), charged AS (
      UPDATE extra_usage_balances b
      SET balance_cents = b.balance_cents - t.cents, updated_at = now()
      FROM totals t
      WHERE b.customer_id = t.customer_id
      RETURNING b.customer_id
    )
    INSERT INTO balance_ledger (customer_id, kind, amount_cents, balance_after_cents, period_start)
    SELECT x.customer_id, 'overage_charge', -x.cents, x.balance_after, x.period_start
    FROM x JOIN charged USING (customer_id)`
}

/** Told what a committed batch changed: the current period's totals, or a customer whose standing moved. */
export interface UsageListener {
  usage(customerId: string, totals: UsageTotals): void
  changed(customerId: string): void
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
  listener?: UsageListener,
): Promise<UsageBatchResult> {
  const { valid, errors } = screenReports(reports, now)
  if (valid.length > 0) {
    const told: Array<() => void> = []
    const rejected = await db.transaction(async (tx) => {
      const locked = await tx.execute<{ id: string; settings: Record<string, unknown> | null }>(
        lockCustomers([...new Set(valid.map((r) => r.agentId))]),
      )
      const settings = parseBillingSettings(locked.rows[0]?.settings)
      const oldestAccepted = new Date(now.getTime() - settings.late_usage_window_days * DAY_MS)
      const { rows } = await tx.execute(ingestStatement(valid, now, oldestAccepted))
      const result = batchRow.parse(rows[0])
      const changes = (result.changes ?? []).map((c) => ({
        customerId: c.customer_id,
        balanceCents: c.balance_cents,
        graceRunning: c.grace_running,
        isCurrent: c.is_current,
        periodStart: c.period_start,
        change: {
          limits: normalizeLimits(c.limits),
          before: { messages: c.before_messages, tokens: c.before_tokens },
          added: { messages: c.added_messages, tokens: c.added_tokens },
        },
      }))
      // Only the current period's limits decide access; a late report for a closed period can still owe overage.
      const graceNeeded = changes
        .filter((c) => c.isCurrent && !c.graceRunning && crossesLimit(c.change))
        .map((c) => c.customerId)
      if (graceNeeded.length > 0)
        await enterGracePeriods(tx, [...new Set(graceNeeded)], settings.grace_period_hours, now)
      const charges = overageCharges(
        changes.map((c) => ({
          customerId: c.customerId,
          periodStart: c.periodStart,
          cents: overageCents(c.change, settings),
          balanceCents: c.balanceCents,
        })),
      )
      if (charges.length > 0) await tx.execute(chargeBalances(charges))
      const standingMoved = new Set([...graceNeeded, ...charges.map((c) => c.customer_id)])
      for (const c of result.changes ?? []) {
        if (standingMoved.has(c.customer_id)) told.push(() => listener?.changed(c.customer_id))
        else if (c.is_current) {
          const totals = {
            periodStart: Date.parse(c.period_start),
            messages: c.before_messages + c.added_messages,
            inputTokens: c.before_input_tokens + c.added_input_tokens,
            outputTokens: c.before_output_tokens + c.added_output_tokens,
          }
          told.push(() => listener?.usage(c.customer_id, totals))
        }
      }
      return result.rejected ?? []
    })
    // Only now that it committed (a rolled-back batch tells nobody anything).
    for (const tell of told) tell()
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
