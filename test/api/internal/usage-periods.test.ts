// Usage is never dropped: each report counts once, in the billing period its timestamp belongs to.
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { usageBatchResultSchema } from '../../../src/api/internal/routes/usage-batch'
import * as s from '../../../src/db/schema'
import { billedAgent, canRespond, days, postBatch, report } from '../../support/billing'
import { testDb } from '../../support/db'
import { bodyOf } from '../../support/http'
import { deliver, stripeEvent, stripeSubscription } from '../../support/stripe'

type Db = ReturnType<typeof testDb>['db']

const batchBodyOf = (res: Response) => bodyOf(res, usageBatchResultSchema)
const at = (date: Date) => ({ timestamp: date.toISOString() })
const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

const recordsOf = (db: Db, agentId: string) =>
  db
    .select({ periodStart: s.usageRecords.periodStart, messages: s.usageRecords.messages })
    .from(s.usageRecords)
    .where(eq(s.usageRecords.agentInstanceId, agentId))
    .orderBy(s.usageRecords.periodStart)

/** A customer whose subscription renewed 10 days ago: the period before ran from day -40 to day -10. */
async function renewedCustomer(db: Db, limits = { messages: 100 }) {
  const billed = await billedAgent(db, {
    limits,
    subscription: { currentPeriodStart: days(-40), currentPeriodEnd: days(-10) },
  })
  const subscription = billed.subscription as NonNullable<typeof billed.subscription>
  const previous = { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd }
  await db
    .update(s.subscriptions)
    .set({ currentPeriodStart: previous.end, currentPeriodEnd: days(20) })
    .where(eq(s.subscriptions.id, subscription.id))
  return { ...billed, previous, current: { start: previous.end } }
}

describe('usage reports in the period their timestamp belongs to', () => {
  it('counts a report buffered across a renewal in the closed period, not against the current one', async () => {
    const { db } = testDb()
    const { agent, previous, current } = await renewedCustomer(db)
    const body = await batchBodyOf(
      await postBatch([report(agent.id, { messages: 7 }, at(days(-12))), report(agent.id, { messages: 2 })]),
    )
    expect(body).toMatchObject({ accepted: 2, rejected: 0 })
    expect(await recordsOf(db, agent.id)).toEqual([
      { periodStart: previous.start, messages: 7 },
      { periodStart: current.start, messages: 2 },
    ])
    expect((await canRespond(agent.id)).body).toMatchObject({ allowed: true, usage: { messages: 2 } })
  })

  it("bills a late report's overage to the closed period's limits, without a grace period now", async () => {
    const { db } = testDb()
    const { f, agent, customer, previous } = await renewedCustomer(db, { messages: 100 })
    await f.usageRecord({
      agentInstanceId: agent.id,
      customerId: customer.id,
      periodStart: previous.start,
      messages: 100,
    })
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 500 })
    await postBatch([report(agent.id, { messages: 10 }, at(days(-20)))])
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance?.balanceCents).toBe(490)
    const row = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(row?.gracePeriodEndsAt).toBeNull()
    expect((await canRespond(agent.id)).body).toMatchObject({ allowed: true, usage: { messages: 0 } })
  })

  it('accepts reports while the renewal webhook is late; they count once the new period is known', async () => {
    const { db } = testDb()
    const { agent, customer, subscription, plan } = await billedAgent(db, {
      subscription: { currentPeriodStart: days(-31), currentPeriodEnd: days(-1) },
    })
    const stored = subscription as NonNullable<typeof subscription>
    const body = await batchBodyOf(
      await postBatch([report(agent.id, { messages: 4 }), report(agent.id, { messages: 1 })]),
    )
    expect(body).toMatchObject({ accepted: 2, rejected: 0 })
    expect(await recordsOf(db, agent.id)).toEqual([{ periodStart: stored.currentPeriodEnd, messages: 5 }])

    const renewed = stripeSubscription({
      id: stored.stripeSubscriptionId as string,
      customer: customer.stripeCustomerId as string,
      priceId: plan.stripePriceId as string,
      periodStart: seconds(stored.currentPeriodEnd),
      periodEnd: seconds(days(29)),
    })
    expect((await deliver(stripeEvent('customer.subscription.updated', renewed))).status).toBe(200)
    expect((await canRespond(agent.id)).body).toMatchObject({ usage: { messages: 5 } })
  })

  it('does not count trial usage against the first paid period that began during the trial', async () => {
    const { db } = testDb()
    const { agent, subscription } = await billedAgent(db, {
      limits: { messages: 10 },
      subscription: {
        status: 'trialing',
        stripeSubscriptionId: null,
        currentPeriodStart: days(-5),
        currentPeriodEnd: days(9),
        trialEndsAt: days(9),
      },
    })
    await postBatch([report(agent.id, { messages: 8 }, at(days(-3)))])
    const paidFrom = days(-1)
    await db
      .update(s.subscriptions)
      .set({ status: 'active', currentPeriodStart: paidFrom, currentPeriodEnd: days(29), trialEndsAt: null })
      .where(eq(s.subscriptions.id, (subscription as NonNullable<typeof subscription>).id))

    expect((await canRespond(agent.id)).body).toMatchObject({ allowed: true, usage: { messages: 0 } })
    await postBatch([report(agent.id, { messages: 5 })])
    // Trial and paid together (13) are over the limit of 10; the paid period alone (5) is not, so
    // ingest started no grace period and charged no overage.
    expect((await canRespond(agent.id)).body).toMatchObject({
      allowed: true,
      usage: { messages: 5 },
      over_limit: [],
      in_grace_period: false,
    })
    const [owner] = await db
      .select({ graceEndsAt: s.customers.gracePeriodEndsAt })
      .from(s.customers)
      .where(eq(s.customers.id, agent.customerId))
    expect(owner?.graceEndsAt).toBeNull()
    expect(await db.select().from(s.balanceLedger).where(eq(s.balanceLedger.customerId, agent.customerId))).toEqual([])
    // A late trial report still lands in the trial, not in the paid period.
    await postBatch([report(agent.id, { messages: 3 }, at(days(-2)))])
    expect((await canRespond(agent.id)).body).toMatchObject({ usage: { messages: 5 } })
    const [trial] = await recordsOf(db, agent.id)
    expect(trial?.messages).toBe(11)
  })

  it('counts a late report exactly once, however often it is sent', async () => {
    const { db } = testDb()
    const { agent, previous } = await renewedCustomer(db)
    const late = report(agent.id, { messages: 3 }, at(days(-15)))
    await postBatch([late])
    const again = await batchBodyOf(await postBatch([late]))
    expect(again.errors.map((e) => e.reason)).toEqual(['duplicate_request_id'])
    const rows = await db
      .select({ messages: s.usageRecords.messages })
      .from(s.usageRecords)
      .where(and(eq(s.usageRecords.agentInstanceId, agent.id), eq(s.usageRecords.periodStart, previous.start)))
    expect(rows).toEqual([{ messages: 3 }])
  })

  it('refuses, with a reason, reports between two subscriptions and before the first', async () => {
    const { db } = testDb()
    const { agent, subscription } = await billedAgent(db, {
      subscription: {
        status: 'expired',
        stripeSubscriptionId: null,
        currentPeriodStart: days(-30),
        currentPeriodEnd: days(-20),
      },
    })
    await db
      .update(s.subscriptions)
      .set({ status: 'active', currentPeriodStart: days(-5), currentPeriodEnd: days(25) })
      .where(eq(s.subscriptions.id, (subscription as NonNullable<typeof subscription>).id))
    const body = await batchBodyOf(
      await postBatch([
        report(agent.id, { messages: 1 }, at(days(-10))),
        report(agent.id, { messages: 1 }, at(days(-31))),
        report(agent.id, { messages: 1 }, at(days(-25))),
      ]),
    )
    expect(body.errors.map((e) => [e.index, e.reason])).toEqual([
      [0, 'no_billing_period'],
      [1, 'before_subscription'],
    ])
    expect(body.accepted).toBe(1)
  })
})
