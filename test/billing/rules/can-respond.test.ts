import { describe, expect, it } from 'vitest'
import type { BillingSnapshot } from '../../../src/billing/rules/billing-snapshot'
import { decideCanRespond } from '../../../src/billing/rules/can-respond'
import { crossesLimit, overageCents } from '../../../src/billing/rules/overage'
import { parseBillingSettings } from '../../../src/billing/rules/settings'

const now = new Date('2025-01-15T12:00:00Z')
const snapshot = (o: Partial<BillingSnapshot> = {}, sub: Partial<NonNullable<BillingSnapshot['subscription']>> = {}) =>
  ({
    subscription: {
      status: 'active',
      planSlug: 'starter',
      limits: { messages: 100, tokens: 1000 },
      currentPeriodStart: new Date('2025-01-01T00:00:00Z'),
      currentPeriodEnd: new Date('2025-02-01T00:00:00Z'),
      trialEndsAt: null,
      ...sub,
    },
    usage: { messages: 0, inputTokens: 0, outputTokens: 0 },
    balanceCents: 0,
    gracePeriodEndsAt: null,
    customerActive: true,
    ...o,
  }) satisfies BillingSnapshot

describe('decideCanRespond', () => {
  it('refuses a suspended customer whatever else holds (balance, grace, trial)', () => {
    const grace = new Date(now.getTime() + 3_600_000)
    for (const o of [{}, { balanceCents: 5000 }, { gracePeriodEndsAt: grace }]) {
      expect(decideCanRespond(snapshot({ customerActive: false, ...o }), now)).toMatchObject({
        allowed: false,
        reason: 'customer_suspended',
        reason_code: 'customer_suspended',
      })
    }
    expect(decideCanRespond(snapshot({ customerActive: false }, { status: 'trialing' }), now).allowed).toBe(false)
  })

  it('treats the limit itself as reached', () => {
    expect(decideCanRespond(snapshot({ usage: { messages: 99, inputTokens: 0, outputTokens: 0 } }), now).allowed).toBe(
      true,
    )
    expect(decideCanRespond(snapshot({ usage: { messages: 100, inputTokens: 0, outputTokens: 0 } }), now).allowed).toBe(
      false,
    )
  })

  it('counts tokens as input + output', () => {
    const result = decideCanRespond(snapshot({ usage: { messages: 0, inputTokens: 600, outputTokens: 400 } }), now)
    expect(result).toMatchObject({
      allowed: false,
      over_limit: ['tokens'],
      usage_remaining: { messages: 100, tokens: 0 },
    })
  })

  it('checks the trial before the limits, and the subscription before the trial', () => {
    expect(decideCanRespond(snapshot({}, { status: 'trialing', trialEndsAt: now }), now).reason).toMatch(/trial/)
    expect(decideCanRespond(snapshot({}, { status: 'canceled', trialEndsAt: now }), now).reason).toMatch(/subscription/)
    expect(decideCanRespond(snapshot({ subscription: null }), now).reason).toMatch(/subscription/)
  })

  it('keeps a past-due customer responding only while its grace period runs', () => {
    const grace = new Date(now.getTime() + 3_600_000)
    expect(decideCanRespond(snapshot({ gracePeriodEndsAt: grace }, { status: 'past_due' }), now)).toMatchObject({
      allowed: true,
      in_grace_period: true,
      reason: expect.stringMatching(/payment failed/),
    })
    const ended = new Date(now.getTime() - 1)
    expect(decideCanRespond(snapshot({ gracePeriodEndsAt: ended }, { status: 'past_due' }), now)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/subscription/),
    })
    const overInGrace = snapshot(
      { gracePeriodEndsAt: grace, usage: { messages: 100, inputTokens: 0, outputTokens: 0 } },
      { status: 'past_due' },
    )
    expect(decideCanRespond(overInGrace, now)).toMatchObject({ allowed: true, in_grace_period: true })
  })

  it('a plan without limits never runs out', () => {
    const result = decideCanRespond(
      snapshot({ usage: { messages: 1e9, inputTokens: 0, outputTokens: 0 } }, { limits: {} }),
      now,
    )
    expect(result).toMatchObject({ allowed: true, usage_remaining: {} })
  })

  it('balance and grace period: allowed over the limit with either, reported together', () => {
    const over = { usage: { messages: 150, inputTokens: 0, outputTokens: 0 } }
    const grace = new Date(now.getTime() + 3_600_000)
    expect(decideCanRespond(snapshot({ ...over, balanceCents: 1 }), now)).toMatchObject({
      allowed: true,
      in_grace_period: false,
    })
    expect(decideCanRespond(snapshot({ ...over, balanceCents: 5, gracePeriodEndsAt: grace }), now)).toMatchObject({
      allowed: true,
      in_grace_period: true,
    })
    expect(decideCanRespond(snapshot({ ...over, gracePeriodEndsAt: now }), now).allowed).toBe(false)
  })
})

describe('overage', () => {
  const settings = parseBillingSettings({ overage_cents_per_message: 2, overage_cents_per_1k_tokens: 3 })
  const limits = { messages: 10, tokens: 1000 }

  it('charges only the part beyond the limit', () => {
    expect(
      overageCents({ limits, before: { messages: 8, tokens: 0 }, added: { messages: 5, tokens: 0 } }, settings),
    ).toBe(6)
    expect(
      overageCents({ limits, before: { messages: 0, tokens: 500 }, added: { messages: 0, tokens: 2500 } }, settings),
    ).toBe(6)
    expect(
      overageCents({ limits, before: { messages: 1, tokens: 1 }, added: { messages: 1, tokens: 1 } }, settings),
    ).toBe(0)
  })

  it('never drifts: many small batches cost what one large batch costs', () => {
    let before = { messages: 0, tokens: 1000 }
    let total = 0
    for (let i = 0; i < 1000; i++) {
      total += overageCents({ limits, before, added: { messages: 0, tokens: 7 } }, settings)
      before = { ...before, tokens: before.tokens + 7 }
    }
    expect(total).toBe(
      overageCents({ limits, before: { messages: 0, tokens: 1000 }, added: { messages: 0, tokens: 7000 } }, settings),
    )
    expect(total).toBe(21)
  })

  it('crossesLimit: from below to at or over', () => {
    expect(crossesLimit({ limits, before: { messages: 9, tokens: 0 }, added: { messages: 1, tokens: 0 } })).toBe(true)
    expect(crossesLimit({ limits, before: { messages: 10, tokens: 0 }, added: { messages: 1, tokens: 0 } })).toBe(false)
    expect(crossesLimit({ limits: {}, before: { messages: 9, tokens: 0 }, added: { messages: 100, tokens: 0 } })).toBe(
      false,
    )
  })

  it('falls back to defaults for missing or malformed settings', () => {
    expect(parseBillingSettings({ grace_period_hours: 'soon', trial_plan_slug: 5 })).toMatchObject({
      grace_period_hours: 24,
      trial_plan_slug: 'trial',
    })
  })
})
