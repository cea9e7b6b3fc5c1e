import { describe, expect, it } from 'vitest'
import type { BillingSnapshot } from '../../src/billing/rules/billing-snapshot'
import { type CanRespond, decideCanRespond } from '../../src/billing/rules/can-respond'
import { DEFAULT_TOKENS_PER_MESSAGE, LeaseBook, leaseFor, MAX_LEASE_MESSAGES } from '../../src/edge/leases'

const NOW = new Date('2026-06-15T12:00:00Z')

function decision(o: {
  limits?: { messages?: number; tokens?: number }
  used?: { messages: number; inputTokens?: number; outputTokens?: number }
  balanceCents?: number
  graceEndsAt?: Date | null
  status?: string
}): CanRespond {
  const snapshot: BillingSnapshot = {
    subscription: {
      status: o.status ?? 'active',
      planSlug: 'starter',
      limits: o.limits ?? { messages: 100 },
      currentPeriodStart: new Date('2026-06-01T00:00:00Z'),
      currentPeriodEnd: new Date('2026-07-01T00:00:00Z'),
      trialEndsAt: null,
    },
    usage: {
      messages: o.used?.messages ?? 0,
      inputTokens: o.used?.inputTokens ?? 0,
      outputTokens: o.used?.outputTokens ?? 0,
    },
    balanceCents: o.balanceCents ?? 0,
    gracePeriodEndsAt: o.graceEndsAt ?? null,
    customerActive: true,
  }
  return decideCanRespond(snapshot, NOW)
}

describe('can-respond leases', () => {
  it('hands out half the message headroom, capped', () => {
    expect(leaseFor(decision({ limits: { messages: 100 }, used: { messages: 40 } }), 0)).toEqual({ messages: 30 })
    expect(leaseFor(decision({ limits: { messages: 1e9 } }), 0)).toEqual({ messages: MAX_LEASE_MESSAGES })
    expect(leaseFor(decision({ limits: {} }), 0)).toEqual({ messages: MAX_LEASE_MESSAGES })
  })

  it('converts token headroom to messages at the period average, never below the default per message', () => {
    const fresh = decision({ limits: { tokens: 100 * DEFAULT_TOKENS_PER_MESSAGE } })
    expect(leaseFor(fresh, 0)).toEqual({ messages: 50 })
    // 10 messages used 100,000 tokens: 10,000 a message, so 400,000 left is 40 messages.
    const heavy = decision({
      limits: { tokens: 500_000 },
      used: { messages: 10, inputTokens: 60_000, outputTokens: 40_000 },
    })
    expect(leaseFor(heavy, 0)).toEqual({ messages: 20 })
  })

  it('gives no lease near the limit, over it on the balance, or when denied; a grace period needs none to end it', () => {
    expect(leaseFor(decision({ limits: { messages: 100 }, used: { messages: 99 } }), 0)).toEqual({ messages: 0 })
    const onBalance = decision({ limits: { messages: 100 }, used: { messages: 150 }, balanceCents: 500 })
    expect(onBalance.reason_code).toBe('over_limit_balance')
    expect(leaseFor(onBalance, 0)).toEqual({ messages: 0 })
    const denied = decision({ limits: { messages: 100 }, used: { messages: 150 } })
    expect(denied.allowed).toBe(false)
    expect(leaseFor(denied, 0)).toEqual({ messages: 0 })
    const inGrace = decision({
      limits: { messages: 100 },
      used: { messages: 150 },
      graceEndsAt: new Date(NOW.getTime() + 3_600_000),
    })
    expect(inGrace.reason_code).toBe('over_limit_grace')
    expect(leaseFor(inGrace, 0)).toEqual({ messages: MAX_LEASE_MESSAGES })
  })

  it('never lets the leases running at once add up to more than the headroom', () => {
    const book = new LeaseBook()
    const within = decision({ limits: { messages: 1000 }, used: { messages: 0 } })
    let granted = 0
    for (let i = 0; i < 50; i++) granted += book.grant(within, 0, 1_000).messages
    expect(granted).toBeLessThanOrEqual(1000)
    expect(granted).toBeGreaterThan(990)
    expect(book.grant(within, 500, 1_000)).toEqual({ messages: 0 }) // nothing left while they run
    expect(book.grant(within, 1_001, 1_000).messages).toBe(500) // expired: the headroom is back
  })
})
