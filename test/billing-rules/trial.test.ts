import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { checkCanRespond } from '../../src/billing/rules/can-respond'
import { startTrial } from '../../src/billing/rules/trial'
import { plans, subscriptions } from '../../src/db/schema'
import { AppError } from '../../src/errors'
import { testDb } from '../support/db'
import { factories } from '../support/factories'

const days = (n: number) => new Date(Date.now() + n * 86_400_000)

// Spec 7.3, trial part. The catalog seeds trial_plan_slug = "trial" and trial_duration_days = 14.
describe('trial', () => {
  it('startTrial creates a trialing subscription on the trial plan, ending in trial_duration_days', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const trialPlan = await db.query.plans.findFirst({ where: eq(plans.slug, 'trial') })
    const created = await startTrial(db, customer.id)
    const [subscription] = await db.select().from(subscriptions).where(eq(subscriptions.customerId, customer.id))
    expect(subscription).toMatchObject({ id: created.id, status: 'trialing', planId: trialPlan?.id })
    expect(Math.abs((subscription?.trialEndsAt?.getTime() ?? 0) - days(14).getTime())).toBeLessThan(60_000)
    expect(subscription?.currentPeriodEnd.toISOString()).toBe(subscription?.trialEndsAt?.toISOString())
  })

  it('lets a new trial customer respond', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    await startTrial(db, customer.id)
    expect(await checkCanRespond(db, agent.id)).toMatchObject({ allowed: true, plan: 'trial' })
  })

  it('refuses a second trial (CONFLICT)', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    await startTrial(db, customer.id)
    await expect(startTrial(db, customer.id)).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'CONFLICT')
  })

  it('denies an expired trial, naming the trial', async () => {
    const { db } = testDb()
    const f = factories(db)
    const plan = await f.plan({ limits: { messages: 50 } })
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    await f.subscription({ customerId: customer.id, planId: plan.id, status: 'trialing', trialEndsAt: days(-1) })
    const result = await checkCanRespond(db, agent.id)
    expect(result?.allowed).toBe(false)
    expect(result?.reason?.toLowerCase()).toContain('trial')
  })

  it('a trial started at a moment ends at that moment plus the trial length', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    const at = new Date('2025-01-15T12:00:00Z')
    const subscription = await startTrial(db, customer.id, at)
    expect(subscription.trialEndsAt?.toISOString()).toBe('2025-01-29T12:00:00.000Z')
    expect((await checkCanRespond(db, agent.id, new Date('2025-01-28T12:00:00Z')))?.allowed).toBe(true)
    const later = await checkCanRespond(db, agent.id, new Date('2025-01-30T12:00:00Z'))
    expect(later?.allowed).toBe(false)
    expect(later?.reason).toMatch(/trial/i)
  })
})
