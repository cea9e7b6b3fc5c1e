import { sql } from 'drizzle-orm'
import { readWithCallerCheck } from '../../agents/runtime-access'
import type { Executor } from '../../db/client'
import { isUuid } from '../../platform/uuid'
import { type BillingSnapshot, billingSnapshotQuery, billingSnapshotRow, toBillingSnapshot } from './billing-snapshot'
import { USAGE_METRICS, type UsageMetric } from './plan-limits'

export interface CanRespond {
  allowed: boolean
  in_grace_period: boolean
  /** Why not (or why only thanks to the balance / grace period); null when plainly within limits. */
  reason: string | null
  /** The same as a stable code for programs; null when plainly within limits. */
  reason_code: CanRespondReason | null
  grace_period_ends_at: string | null
  /** Per limited metric: how much is left in the current period (0 at or over the limit). */
  usage_remaining: Partial<Record<UsageMetric, number>>
  usage: { messages: number; tokens: number; input_tokens: number; output_tokens: number }
  limits: Partial<Record<UsageMetric, number>>
  over_limit: UsageMetric[]
  extra_balance_cents: number
  subscription_status: string | null
  plan: string | null
  period_start: string | null
  period_end: string | null
  trial_ends_at: string | null
}

export const CAN_RESPOND_REASONS = [
  'customer_suspended',
  'no_subscription',
  'subscription_inactive',
  'trial_ended',
  'over_limit',
  'payment_failed_grace',
  'over_limit_balance',
  'over_limit_grace',
  'state_unavailable',
] as const
export type CanRespondReason = (typeof CAN_RESPOND_REASONS)[number]

/** The `reason` a suspended customer's agents get (a contract with the runtime). */
export const CUSTOMER_SUSPENDED = 'customer_suspended'

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

const METRIC_LABEL: Record<UsageMetric, string> = { messages: 'message', tokens: 'token' }

/**
 * The rules behind "may this agent respond now":
 * a customer suspended by an operator → no; no active or trialing subscription → no, except a past-due one (payment failed) while its grace
 * period runs; an ended trial → no; below every plan limit → yes;
 * at or over a limit → yes while there is prepaid balance or a running grace period, otherwise no.
 */
export function decideCanRespond(snapshot: BillingSnapshot, now: Date = new Date()): CanRespond {
  const { subscription, usage } = snapshot
  const used = { messages: usage.messages, tokens: usage.inputTokens + usage.outputTokens }
  const graceRunning = snapshot.gracePeriodEndsAt !== null && snapshot.gracePeriodEndsAt > now
  const limits: Partial<Record<UsageMetric, number>> = {}
  const usageRemaining: Partial<Record<UsageMetric, number>> = {}
  const overLimit: UsageMetric[] = []
  for (const metric of USAGE_METRICS) {
    const limit = subscription?.limits[metric]
    if (limit === undefined) continue
    limits[metric] = limit
    usageRemaining[metric] = Math.max(0, limit - used[metric])
    if (used[metric] >= limit) overLimit.push(metric)
  }
  const base = {
    grace_period_ends_at: graceRunning ? iso(snapshot.gracePeriodEndsAt) : null,
    usage_remaining: usageRemaining,
    usage: { ...used, input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
    limits,
    over_limit: overLimit,
    extra_balance_cents: snapshot.balanceCents,
    subscription_status: subscription?.status ?? null,
    plan: subscription?.planSlug ?? null,
    period_start: iso(subscription?.currentPeriodStart),
    period_end: iso(subscription?.currentPeriodEnd),
    trial_ends_at: iso(subscription?.trialEndsAt),
  }
  const deny = (code: CanRespondReason, reason: string): CanRespond => ({
    ...base,
    allowed: false,
    in_grace_period: false,
    reason,
    reason_code: code,
  })

  if (!snapshot.customerActive) return deny('customer_suspended', CUSTOMER_SUSPENDED)
  const unpaidInGrace = subscription?.status === 'past_due' && graceRunning
  if (!subscription || (subscription.status !== 'active' && subscription.status !== 'trialing' && !unpaidInGrace)) {
    return subscription
      ? deny(
          'subscription_inactive',
          `The subscription is ${subscription.status.replaceAll('_', ' ')}; an active subscription is required.`,
        )
      : deny('no_subscription', 'No active subscription.')
  }
  if (subscription.status === 'trialing' && subscription.trialEndsAt && subscription.trialEndsAt <= now) {
    return deny('trial_ended', `The trial ended at ${iso(subscription.trialEndsAt)}; choose a plan to continue.`)
  }
  if (overLimit.length === 0) {
    return unpaidInGrace
      ? {
          ...base,
          allowed: true,
          in_grace_period: true,
          reason: 'The last payment failed; responding during the grace period.',
          reason_code: 'payment_failed_grace',
        }
      : { ...base, allowed: true, in_grace_period: false, reason: null, reason_code: null }
  }

  const limitNames = overLimit.map((m) => `${METRIC_LABEL[m]} limit (${limits[m]})`).join(' and ')
  if (snapshot.balanceCents > 0) {
    return {
      ...base,
      allowed: true,
      in_grace_period: graceRunning,
      reason: `The plan's ${limitNames} is reached; usage is charged to the extra balance.`,
      reason_code: 'over_limit_balance',
    }
  }
  if (graceRunning) {
    return {
      ...base,
      allowed: true,
      in_grace_period: true,
      reason: `The plan's ${limitNames} is reached; responding during the grace period.`,
      reason_code: 'over_limit_grace',
    }
  }
  return deny(
    'over_limit',
    `The plan's ${limitNames} is reached for this billing period and no grace period is running.`,
  )
}

/**
 * The answer when the customer's state cannot be confirmed (src/edge/: Postgres unreachable for
 * longer than the edge may answer from its copy, or a change it was told of not loaded yet): no,
 * never yes from state that may be stale. The figures are unknown, so they are empty.
 */
export function stateUnavailable(reason: string): CanRespond {
  return {
    allowed: false,
    in_grace_period: false,
    reason,
    reason_code: 'state_unavailable',
    grace_period_ends_at: null,
    usage_remaining: {},
    usage: { messages: 0, tokens: 0, input_tokens: 0, output_tokens: 0 },
    limits: {},
    over_limit: [],
    extra_balance_cents: 0,
    subscription_status: null,
    plan: null,
    period_start: null,
    period_end: null,
    trial_ends_at: null,
  }
}

export type AgentCanRespond = CanRespond & { agent_id: string; customer_id: string; agent_is_active: boolean }

/** One row per existing agent: its id, customer, active flag and billing snapshot. */
export function canRespondSql(agentId: string) {
  return sql`
    SELECT a.id AS agent_id, a.customer_id, a.is_active AS agent_is_active, bs.*
    FROM agent_instances a
    CROSS JOIN LATERAL (${billingSnapshotQuery(sql`a.customer_id`)}) bs
    WHERE a.id = ${agentId}`
}

/** {@link canRespondSql} of `agentId` with the calling agent's check (see `readWithCallerCheck`). */
export function readCanRespondRow(db: Executor, callerId: string | null, agentId: string) {
  return readWithCallerCheck(db, callerId, canRespondSql(agentId))
}

export function canRespondFromRow(row: Record<string, unknown>, now: Date = new Date()): AgentCanRespond {
  return {
    agent_id: String(row.agent_id),
    customer_id: String(row.customer_id),
    agent_is_active: row.agent_is_active === true,
    ...decideCanRespond(toBillingSnapshot(billingSnapshotRow.parse(row)), now),
  }
}

/** {@link decideCanRespond} for an agent, in one statement; null when the agent does not exist. */
export async function checkCanRespond(db: Executor, agentId: string, now: Date = new Date()) {
  if (!isUuid(agentId)) return null
  const { rows } = await db.execute(canRespondSql(agentId))
  return rows[0] ? canRespondFromRow(rows[0], now) : null
}
