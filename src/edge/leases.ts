import type { CanRespond } from '../billing/rules/can-respond'

/**
 * How many "allowed" can-respond answers an isolate may give from its copy of a customer's state
 * before it must ask the Durable Object again. The object never hands out more than half of the
 * headroom left after the leases still running, so all isolates together stay under the limit: the
 * leases add no overshoot. What remains is today's: a message allowed and not yet reported (in
 * flight) is not counted by anyone, so each caller in flight can cross the limit by one message.
 */
export const MAX_LEASE_MESSAGES = 1_000

/** Tokens a message is assumed to use before the period has any usage to average. */
export const DEFAULT_TOKENS_PER_MESSAGE = 2_000

export interface Lease {
  /** Allowed answers this copy may give; 0 = ask the object for every allowed answer. */
  messages: number
}

/**
 * The lease for one copy of the state given `decision` (decided now) and the messages other
 * copies still hold. Within limits (or unpaid but in grace): half the headroom left. Over a limit in
 * a grace period: usage no longer matters until the grace period ends, which the copy itself
 * re-checks on every answer. Over a limit on the extra balance: 0, each message draws on a balance
 * that usage reports drain. Denied: 0 (a denial is served from the copy without a lease).
 */
export function leaseFor(decision: CanRespond, outstanding: number): Lease {
  if (!decision.allowed) return { messages: 0 }
  if (decision.reason_code === 'over_limit_grace') return { messages: MAX_LEASE_MESSAGES }
  if (decision.reason_code !== null && decision.reason_code !== 'payment_failed_grace') return { messages: 0 }
  const headroom = messagesOfHeadroom(decision)
  const grant = Math.floor((headroom - outstanding) / 2)
  return { messages: Math.max(0, Math.min(MAX_LEASE_MESSAGES, grant)) }
}

/** Messages left before the first limit is reached, tokens converted at the period's average (at least the default). */
export function messagesOfHeadroom(decision: CanRespond): number {
  const { usage_remaining: remaining, usage } = decision
  let headroom = Number.POSITIVE_INFINITY
  if (remaining.messages !== undefined) headroom = Math.min(headroom, remaining.messages)
  if (remaining.tokens !== undefined) {
    const average = usage.messages > 0 ? usage.tokens / usage.messages : 0
    const perMessage = Math.max(DEFAULT_TOKENS_PER_MESSAGE, Math.ceil(average))
    headroom = Math.min(headroom, Math.floor(remaining.tokens / perMessage))
  }
  return headroom
}

/** Leases handed out and still running, so the next one is cut from what they leave. */
export class LeaseBook {
  private granted: { expiresAt: number; messages: number }[] = []

  outstanding(now: number): number {
    this.granted = this.granted.filter((g) => g.expiresAt > now)
    return this.granted.reduce((sum, g) => sum + g.messages, 0)
  }

  grant(decision: CanRespond, now: number, ttlMs: number): Lease {
    const lease = leaseFor(decision, this.outstanding(now))
    if (lease.messages > 0 && decision.reason_code !== 'over_limit_grace') {
      this.granted.push({ expiresAt: now + ttlMs, messages: lease.messages })
    }
    return lease
  }
}
