import { eq, inArray, sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import * as s from '../../src/db/schema'
import { testDb } from '../support/db'
import { factories, uniq } from '../support/factories'
import { atOnce, postWebhookDelivery, signedDelivery } from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures, shuffled } from '../support/races'
import { nowSeconds, stripeEvent, stripeSubscription, topUpEvent } from '../support/stripe'

type Event = ReturnType<typeof stripeEvent>

/** Delivers `events` at once; with `lockedCustomerId`, all of them queue behind that customer's row lock first. */
async function deliverAll(
  tag: string,
  db: ReturnType<typeof testDb>['db'],
  events: Event[],
  lockedCustomerId?: string,
) {
  const signed = await Promise.all(events.map(signedDelivery))
  const lock = lockedCustomerId ? sql`SELECT 1 FROM customers WHERE id = ${lockedCustomerId} FOR UPDATE` : undefined
  const { results, peakSessions } = await atOnce(
    db,
    tag,
    (runtime) => signed.map((delivery) => postWebhookDelivery(runtime, delivery)),
    lock,
  )
  const outcomes = await Promise.all(results.map(async (r) => ({ status: r.status, body: (await r.json()) as object })))
  return { outcomes, peakSessions }
}

describeOnPostgres('race: Stripe deliveries at once', () => {
  it('one event delivered 10 times among 30 distinct top-ups, all at once: one effect each, no lost update', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    // No balance row yet: the first credits race to create it.
    const repeated = topUpEvent(customer, 5000)
    const distinct = Array.from({ length: 30 }, (_, i) => topUpEvent(customer, 500 + i))
    const deliveries = shuffled([...Array.from({ length: 10 }, () => repeated), ...distinct])
    const { outcomes, peakSessions } = await deliverAll('race-stripe-top-ups', db, deliveries, customer.id)

    expect(outcomes.map((o) => o.status)).toEqual(deliveries.map(() => 200))
    const processed = outcomes.filter((o) => (o.body as { outcome?: string }).outcome === 'processed')
    expect(processed).toHaveLength(1 + distinct.length)
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance?.balanceCents).toBe(5000 + distinct.reduce((n, _e, i) => n + 500 + i, 0))
    const recorded = await db
      .select()
      .from(s.stripeEvents)
      .where(inArray(s.stripeEvents.id, [repeated.id, ...distinct.map((e) => e.id)]))
    expect(recorded).toHaveLength(1 + distinct.length)
    reportFigures('stripe top-ups', {
      deliveries: deliveries.length,
      same_event_copies: 10,
      distinct_events: distinct.length,
      processed: processed.length,
      peak_sessions: peakSessions,
    })
  })

  it('subscription updates for one customer delivered at once, in any order: the newest state wins', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const plan = await f.plan()
    const start = nowSeconds() - 3600
    const subscriptionId = `sub_test_${uniq()}`
    const events = Array.from({ length: CONCURRENCY }, (_, i) =>
      stripeEvent(
        'customer.subscription.updated',
        stripeSubscription({
          id: subscriptionId,
          customer: customer.stripeCustomerId as string,
          priceId: plan.stripePriceId as string,
          periodStart: start,
          periodEnd: start + 86_400 * (i + 1),
          status: i % 2 === 0 ? 'active' : 'past_due',
          metadata: { customer_id: customer.id },
        }),
        { created: start + i },
      ),
    )
    const { outcomes, peakSessions } = await deliverAll('race-stripe-subscription', db, shuffled(events))

    expect(outcomes.map((o) => o.status)).toEqual(events.map(() => 200))
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    const rows = await db.select().from(s.subscriptions).where(eq(s.subscriptions.customerId, customer.id))
    expect(rows).toHaveLength(1)
    const newest = CONCURRENCY - 1
    expect(rows[0]).toMatchObject({
      stripeSubscriptionId: subscriptionId,
      status: newest % 2 === 0 ? 'active' : 'past_due',
      currentPeriodEnd: new Date((start + 86_400 * (newest + 1)) * 1000),
      stripeStateAt: new Date((start + newest) * 1000),
    })
    reportFigures('stripe subscription updates', { events: events.length, peak_sessions: peakSessions })
  })
})
