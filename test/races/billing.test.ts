import { and, eq, inArray } from 'drizzle-orm'
import { expect, it } from 'vitest'
import { getBillingSettings } from '../../src/billing/rules/settings'
import * as s from '../../src/db/schema'
import { GRACE_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { report } from '../support/billing'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { postUsageBatch, postWebhookDelivery, signedDelivery } from '../support/race-requests'
import { describeOnPostgres, reportFigures, shuffled, taggedWorker, withPeakSessions } from '../support/races'
import { topUpEvent } from '../support/stripe'

const LIMIT = 100
// The grace period ended long ago. The job runs "at" the day after, so it finds this customer and
// none of the rows other test files leave due around now (theirs end in 2000 or later).
const GRACE_ENDED = new Date('1999-06-01T00:00:00Z')
const JOB_TIME = new Date('1999-06-02T00:00:00Z')

describeOnPostgres('race: one over-limit customer, everything at once', () => {
  it('usage batches, top-ups and the grace-expiry job: no deadlock, no lost update, the state the rules define', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer({ gracePeriodEndsAt: GRACE_ENDED })
    const plan = await f.plan({ limits: { messages: LIMIT } })
    const subscription = await f.subscription({ customerId: customer.id, planId: plan.id })
    const agents = [
      await f.agentInstance({ customerId: customer.id }),
      await f.agentInstance({ customerId: customer.id }),
    ]
    await f.usageRecord({
      customerId: customer.id,
      agentInstanceId: agents[0]!.id,
      periodStart: subscription.currentPeriodStart,
      periodEnd: subscription.currentPeriodEnd,
      messages: LIMIT,
    })
    // Enough prepaid balance that every overage charge is taken in full, whatever the order:
    // then the final balance is exact, and a lost update would show.
    const initialBalance = 1_000_000
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: initialBalance })
    const { overage_cents_per_message } = await getBillingSettings(db)

    const batches = Array.from({ length: 20 }, (_, i) =>
      Array.from({ length: 10 }, () => report(agents[i % 2]!.id, { messages: 1 })),
    )
    const topUps = Array.from({ length: 10 }, (_, i) => topUpEvent(customer, 1000 + i))
    const signedTopUps = await Promise.all(topUps.map(signedDelivery))

    const tag = 'race-billing-mix'
    const runtime = taggedWorker(tag)
    const work: Array<() => Promise<{ kind: string; status: number }>> = [
      ...batches.map((reports) => async () => {
        const res = await postUsageBatch(runtime, reports)
        return { kind: 'usage', status: res.status }
      }),
      ...signedTopUps.map((delivery) => async () => {
        const res = await postWebhookDelivery(runtime, delivery)
        return { kind: 'top-up', status: res.status }
      }),
      ...[1, 2, 3].map(() => async () => {
        await runtime.scheduled(GRACE_EXPIRY_CRON, JOB_TIME)
        return { kind: 'grace-expiry', status: 200 }
      }),
    ]
    const { result, peakSessions } = await withPeakSessions(db, tag, () =>
      Promise.all(shuffled(work).map((run) => run())),
    )
    expect(result.filter((r) => r.status !== 200)).toEqual([])
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)

    // Usage: every message counted once.
    const records = await db.select().from(s.usageRecords).where(eq(s.usageRecords.customerId, customer.id))
    const reported = batches.flat().length
    expect(records.reduce((n, r) => n + r.messages, 0)).toBe(LIMIT + reported)
    // Balance: every top-up credited, every message beyond the limit charged, nothing lost.
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    const credited = topUps.reduce((n, _e, i) => n + 1000 + i, 0)
    expect(balance?.balanceCents).toBe(initialBalance + credited - reported * overage_cents_per_message)
    // Grace: the expired one is cleared and no new one starts (usage was already over the limit);
    // with a positive balance the customer may respond, so no agent is disabled and nobody is told.
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.gracePeriodEndsAt).toBeNull()
    const disabled = await db
      .select()
      .from(s.agentInstances)
      .where(
        and(
          inArray(
            s.agentInstances.id,
            agents.map((a) => a.id),
          ),
          eq(s.agentInstances.isActive, false),
        ),
      )
    expect(disabled).toEqual([])
    expect(await db.select().from(s.notifications).where(eq(s.notifications.customerId, customer.id))).toEqual([])
    reportFigures('billing mix', {
      usage_batches: batches.length,
      top_ups: topUps.length,
      grace_jobs: 3,
      non_200: result.filter((r) => r.status !== 200).length,
      peak_sessions: peakSessions,
    })
  })
})
