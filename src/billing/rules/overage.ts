import type { PlanLimits } from '../../db/schema'
import type { BillingSettings } from './settings'

export interface CustomerUsageChange {
  limits: PlanLimits
  before: { messages: number; tokens: number }
  added: { messages: number; tokens: number }
}

const over = (used: number, limit: number | undefined) => (limit === undefined ? 0 : Math.max(0, used - limit))

/** True when this change moves usage from below a limit to at or over it. */
export function crossesLimit({ limits, before, added }: CustomerUsageChange): boolean {
  return (['messages', 'tokens'] as const).some((metric) => {
    const limit = limits[metric]
    return limit !== undefined && before[metric] < limit && before[metric] + added[metric] >= limit
  })
}

/**
 * Cents owed for the part of this change beyond the plan's limits. Priced on the running total
 * (cost after minus cost before, each rounded down), so rounding never drifts across batches.
 */
export function overageCents(change: CustomerUsageChange, settings: BillingSettings): number {
  const { limits, before, added } = change
  const cost = (messages: number, tokens: number) =>
    Math.floor(over(messages, limits.messages) * settings.overage_cents_per_message) +
    Math.floor((over(tokens, limits.tokens) * settings.overage_cents_per_1k_tokens) / 1000)
  return cost(before.messages + added.messages, before.tokens + added.tokens) - cost(before.messages, before.tokens)
}
