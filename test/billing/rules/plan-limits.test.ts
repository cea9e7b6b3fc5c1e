import { describe, expect, it } from 'vitest'
import { assertWithinPlanLimit, normalizeLimits, planLimitsFor } from '../../../src/billing/rules/plan-limits'
import { PlanLimitReached } from '../../../src/errors'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'

describe('plan limits', () => {
  it('normalizes limits: absent, negative or non-numeric entries mean no limit', () => {
    expect(normalizeLimits({ messages: 10, tokens: -1, agents: '3', knowledge_bases: 1.5 })).toEqual({ messages: 10 })
    expect(normalizeLimits(null)).toEqual({})
    expect(normalizeLimits('x')).toEqual({})
  })

  it('planLimitsFor reads the active plan, null without one', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    expect(await planLimitsFor(db, customer.id)).toBeNull()
    const plan = await f.plan({ limits: { messages: 5, agents: 2 } })
    await f.subscription({ customerId: customer.id, planId: plan.id })
    expect(await planLimitsFor(db, customer.id)).toEqual({ messages: 5, agents: 2 })
  })

  it('assertWithinPlanLimit allows up to the limit, then refuses with PlanLimitReached', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const plan = await f.plan({ limits: { agents: 2, knowledge_bases: 1 } })
    await f.subscription({ customerId: customer.id, planId: plan.id })
    expect(await assertWithinPlanLimit(db, customer.id, 'agents')).toEqual({ limit: 2, used: 0 })
    await f.agentInstance({ customerId: customer.id })
    await f.agentInstance({ customerId: customer.id })
    await expect(assertWithinPlanLimit(db, customer.id, 'agents')).rejects.toBeInstanceOf(PlanLimitReached)
    await expect(assertWithinPlanLimit(db, customer.id, 'agents')).rejects.toMatchObject({
      limit: { name: 'agents', allowed: 2, used: 2 },
    })
    await f.knowledgeBase({ customerId: customer.id })
    await expect(assertWithinPlanLimit(db, customer.id, 'knowledge_bases')).rejects.toThrow(/1 knowledge base;/)
  })

  it('refuses without an active subscription, allows anything on an unlimited plan', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    await expect(assertWithinPlanLimit(db, customer.id, 'agents')).rejects.toThrow(/subscription/)
    await expect(assertWithinPlanLimit(db, customer.id, 'agents')).rejects.toMatchObject({ limit: { name: 'plan' } })
    const plan = await f.plan({ limits: {} })
    await f.subscription({ customerId: customer.id, planId: plan.id, status: 'trialing' })
    expect(await assertWithinPlanLimit(db, customer.id, 'agents')).toEqual({ limit: null, used: 0 })
  })
})
