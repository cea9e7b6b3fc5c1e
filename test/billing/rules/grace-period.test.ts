import { describe, expect, it } from 'vitest'
import { checkCanRespond } from '../../../src/billing/rules/can-respond'
import { enterGracePeriod } from '../../../src/billing/rules/grace-period'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'

const hours = (n: number) => new Date(Date.now() + n * 3_600_000)

// Spec 7.3, grace period part (the expiry job belongs to the scheduled jobs).
describe('grace period', () => {
  it('answers null for an unknown customer', async () => {
    const { db } = testDb()
    expect(await enterGracePeriod(db, '00000000-0000-0000-0000-000000000000')).toBeNull()
  })

  async function overLimitAgent(gracePeriodEndsAt: Date) {
    const { db } = testDb()
    const f = factories(db)
    const plan = await f.plan({ limits: { messages: 100 } })
    const customer = await f.customer({ gracePeriodEndsAt })
    const agent = await f.agentInstance({ customerId: customer.id })
    await f.subscription({ customerId: customer.id, planId: plan.id })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 150 })
    return { db, agent }
  }

  it('allows responses during the grace period', async () => {
    const { db, agent } = await overLimitAgent(hours(12))
    expect(await checkCanRespond(db, agent.id)).toMatchObject({ allowed: true, in_grace_period: true })
  })

  it('blocks once the grace period has expired', async () => {
    const { db, agent } = await overLimitAgent(hours(-1))
    expect(await checkCanRespond(db, agent.id)).toMatchObject({ allowed: false, in_grace_period: false })
  })

  it('judges at the given moment', async () => {
    const { db, agent } = await overLimitAgent(hours(12))
    expect((await checkCanRespond(db, agent.id, hours(13)))?.allowed).toBe(false)
  })

  it('answers null for an unknown or malformed agent id instead of failing', async () => {
    const { db } = testDb()
    expect(await checkCanRespond(db, '00000000-0000-0000-0000-000000000000')).toBeNull()
    expect(await checkCanRespond(db, "'; DROP TABLE customers; --")).toBeNull()
  })
})
