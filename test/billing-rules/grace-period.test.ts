import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { checkCanRespond } from '../../src/billing/rules/can-respond'
import { enterGracePeriod } from '../../src/billing/rules/grace-period'
import { getBillingSettings } from '../../src/billing/rules/settings'
import { customers } from '../../src/db/schema'
import { testDb } from '../support/db'
import { factories } from '../support/factories'

const hours = (n: number) => new Date(Date.now() + n * 3_600_000)

// Spec 7.3, grace period part (the expiry job belongs to the scheduled jobs).
describe('grace period', () => {
  it('enterGracePeriod sets grace_period_ends_at grace_period_hours from now', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const { grace_period_hours } = await getBillingSettings(db)
    expect(grace_period_hours).toBe(24)
    const endsAt = await enterGracePeriod(db, customer.id)
    const [row] = await db.select().from(customers).where(eq(customers.id, customer.id))
    expect(row?.gracePeriodEndsAt?.toISOString()).toBe(endsAt?.toISOString())
    expect(Math.abs((endsAt?.getTime() ?? 0) - hours(24).getTime())).toBeLessThan(60_000)
  })

  it('keeps a running grace period and restarts an expired one', async () => {
    const { db } = testDb()
    const running = await factories(db).customer({ gracePeriodEndsAt: hours(2) })
    expect((await enterGracePeriod(db, running.id))?.toISOString()).toBe(running.gracePeriodEndsAt?.toISOString())
    const expired = await factories(db).customer({ gracePeriodEndsAt: hours(-2) })
    expect((await enterGracePeriod(db, expired.id))?.getTime()).toBeGreaterThan(hours(23).getTime())
  })

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
