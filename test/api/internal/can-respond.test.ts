import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { customers } from '../../../src/db/schema'
import { billedAgent, canRespond, days, hours } from '../../support/billing'
import { testDb } from '../../support/db'
import { internalHeaders, statementsOf } from '../../support/http'

// Spec 4.4, one test per scenario, plus the reasons and usage_remaining the runtime relies on.
describe('GET /api/internal/billing/can-respond/{agent_id}', () => {
  it('allows a response within limits, in one SQL statement', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 1000, tokens: 100000 } })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 100 })
    const { res, body } = await canRespond(agent.id)
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ allowed: true, in_grace_period: false, reason: null })
    expect(body.usage_remaining).toEqual({ messages: 900, tokens: 100000 })
    expect(statementsOf(res)).toBe(1)
  })

  it('denies at the limit without extra balance, naming the limit', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 100 } })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 100 })
    const { body } = await canRespond(agent.id)
    expect(body.allowed).toBe(false)
    expect(String(body.reason)).toMatch(/message limit \(100\)/)
    expect(body.usage_remaining).toEqual({ messages: 0 })
    expect(body.over_limit).toEqual(['messages'])
  })

  it('allows over the limit while there is extra balance', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 100 } })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 150 })
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 1000 })
    const { body } = await canRespond(agent.id)
    expect(body).toMatchObject({ allowed: true, in_grace_period: false, extra_balance_cents: 1000 })
  })

  it('allows over the limit during a grace period and says until when', async () => {
    const { db } = testDb()
    const endsAt = hours(12)
    const { f, agent, customer } = await billedAgent(db, {
      limits: { messages: 100 },
      customer: { gracePeriodEndsAt: endsAt },
    })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 150 })
    const { body } = await canRespond(agent.id)
    expect(body).toMatchObject({ allowed: true, in_grace_period: true, grace_period_ends_at: endsAt.toISOString() })
  })

  it('denies over the limit once the grace period has expired', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, {
      limits: { messages: 100 },
      customer: { gracePeriodEndsAt: hours(-1) },
    })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 150 })
    const { body } = await canRespond(agent.id)
    expect(body).toMatchObject({ allowed: false, in_grace_period: false, grace_period_ends_at: null })
  })

  it('denies without a subscription, naming the subscription', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, { subscription: false })
    const { body } = await canRespond(agent.id)
    expect(body.allowed).toBe(false)
    expect(String(body.reason).toLowerCase()).toContain('subscription')
  })

  it.each(['canceled', 'past_due', 'unpaid', 'incomplete'] as const)('denies a %s subscription', async (status) => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, { subscription: { status } })
    const { body } = await canRespond(agent.id)
    expect(body.allowed).toBe(false)
    expect(String(body.reason).toLowerCase()).toContain('subscription')
  })

  it('allows a trial within its limits', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, {
      limits: { messages: 50 },
      subscription: { status: 'trialing', trialEndsAt: days(7) },
    })
    const { body } = await canRespond(agent.id)
    expect(body).toMatchObject({ allowed: true, subscription_status: 'trialing' })
  })

  it('denies an expired trial, naming the trial', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, {
      limits: { messages: 50 },
      subscription: { status: 'trialing', trialEndsAt: days(-1) },
    })
    const { body } = await canRespond(agent.id)
    expect(body.allowed).toBe(false)
    expect(String(body.reason).toLowerCase()).toContain('trial')
  })

  it('sums usage over all agents of the customer, and counts input + output tokens', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 1000, tokens: 1000 } })
    const other = await f.agentInstance({ customerId: customer.id })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, inputTokens: 300, outputTokens: 200 })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: other.id, inputTokens: 250, outputTokens: 250 })
    const { body } = await canRespond(agent.id)
    expect(body.allowed).toBe(false)
    expect(String(body.reason)).toMatch(/token limit \(1000\)/)
    expect(body.usage_remaining).toEqual({ messages: 1000, tokens: 0 })
  })

  it("ignores usage of earlier periods and of other customers' agents", async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 100 } })
    await f.usageRecord({
      customerId: customer.id,
      agentInstanceId: agent.id,
      periodStart: days(-60),
      periodEnd: days(-30),
      messages: 500,
    })
    await f.usageRecord({ messages: 500 })
    const { body } = await canRespond(agent.id)
    expect(body).toMatchObject({ allowed: true, usage_remaining: { messages: 100 } })
  })

  it('answers 404 for an unknown agent and 400 for a non-UUID id', async () => {
    const unknown = await canRespond('00000000-0000-0000-0000-000000000000')
    expect(unknown.res.status).toBe(404)
    expect(unknown.body.error?.code).toBe('NOT_FOUND')
    const malformed = await canRespond('not-a-uuid')
    expect(malformed.res.status).toBe(400)
    expect(malformed.body.error?.code).toBe('BAD_REQUEST')
  })

  it('checks X-Agent-Instance-ID when sent: it must be this agent and active', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { agent: other } = await billedAgent(db)
    const mismatch = await canRespond(agent.id, internalHeaders(other.id))
    expect(mismatch.res.status).toBe(403)
    const unknown = await canRespond(agent.id, internalHeaders('00000000-0000-0000-0000-000000000000'))
    expect(unknown.res.status).toBe(401)
    const same = await canRespond(agent.id, internalHeaders(agent.id))
    expect(same.res.status).toBe(200)
    expect(statementsOf(same.res)).toBe(1)
  })

  it('answers 403 for an inactive agent', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, { agent: { isActive: false } })
    const { res, body } = await canRespond(agent.id)
    expect(res.status).toBe(403)
    expect(body.error?.code).toBe('FORBIDDEN')
  })

  it('reflects a grace period entered after the usage', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 10 } })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 10 })
    expect((await canRespond(agent.id)).body.allowed).toBe(false)
    await db
      .update(customers)
      .set({ gracePeriodEndsAt: hours(2) })
      .where(eq(customers.id, customer.id))
    expect((await canRespond(agent.id)).body).toMatchObject({ allowed: true, in_grace_period: true })
  })
})
