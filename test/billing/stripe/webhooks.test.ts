import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { factories, uniq } from '../../support/factories'
import { statementsOf } from '../../support/http'
import {
  deliver,
  failStripePath,
  nowSeconds,
  seedStripeSubscription,
  stripeEvent,
  stripeRequests,
  stripeSubscription,
  topUpSession,
} from '../../support/stripe'
import { subscriptionCheckoutSession, subscriptionInvoice } from '../../support/stripe-subscription'

const DAY = 86_400

async function setup() {
  const { db } = testDb()
  const f = factories(db)
  const customer = await f.customer()
  const plan = await f.plan()
  return { db, f, customer, plan, stripeCustomerId: customer.stripeCustomerId as string }
}

const subscriptionOf = (db: ReturnType<typeof testDb>['db'], customerId: string) =>
  db.query.subscriptions.findFirst({ where: eq(s.subscriptions.customerId, customerId) })

const eventRow = (db: ReturnType<typeof testDb>['db'], id: string) =>
  db.query.stripeEvents.findFirst({ where: eq(s.stripeEvents.id, id) })

/**
 * Stripe now holds `subscription` (the stand-in serves it); returns the `checkout.session.completed`
 * of the subscription checkout that created it.
 */
async function seededCheckout(
  customerId: string,
  subscription: { id: string; customer: string } & Record<string, unknown>,
  o: { created?: number } = {},
) {
  await seedStripeSubscription(subscription)
  const session = subscriptionCheckoutSession({
    customerId,
    stripeCustomerId: subscription.customer,
    subscriptionId: subscription.id,
  })
  return stripeEvent('checkout.session.completed', session, o)
}

describe('checkout.session.completed', () => {
  it('creates the subscription from the subscription fetched from Stripe', async () => {
    const { db, customer, plan, stripeCustomerId } = await setup()
    const start = nowSeconds() - 60
    const sub = stripeSubscription({
      customer: stripeCustomerId,
      priceId: plan.stripePriceId as string,
      periodStart: start,
    })
    const event = await seededCheckout(customer.id, sub)
    const res = await deliver(event)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ received: true, outcome: 'processed' })

    const row = await subscriptionOf(db, customer.id)
    expect(row).toMatchObject({
      stripeSubscriptionId: sub.id,
      planId: plan.id,
      status: 'active',
      currentPeriodStart: new Date(start * 1000),
      currentPeriodEnd: new Date((start + 30 * DAY) * 1000),
    })
    expect(await stripeRequests((r) => r.path === `/v1/subscriptions/${sub.id}`)).toHaveLength(1)
    expect(await eventRow(db, event.id)).toMatchObject({
      status: 'processed',
      type: 'checkout.session.completed',
      customerId: customer.id,
    })
  })

  it('accepts the older API shape (period on the subscription) and replaces a trial row', async () => {
    const { db, f, customer, plan, stripeCustomerId } = await setup()
    const trialPlan = await f.plan()
    await f.subscription({
      customerId: customer.id,
      planId: trialPlan.id,
      stripeSubscriptionId: null,
      status: 'trialing',
    })
    const subId = `sub_test_${uniq()}`
    const checkout = await seededCheckout(customer.id, {
      id: subId,
      customer: stripeCustomerId,
      status: 'active',
      items: { data: [{ price: { id: plan.stripePriceId } }] },
      current_period_start: 1704067200,
      current_period_end: 1706745600,
    })
    const res = await deliver(checkout)
    expect(res.status).toBe(200)
    expect(await subscriptionOf(db, customer.id)).toMatchObject({
      stripeSubscriptionId: subId,
      planId: plan.id,
      status: 'active',
      currentPeriodStart: new Date(1704067200_000),
      currentPeriodEnd: new Date(1706745600_000),
    })
  })

  it('credits a paid top-up to the extra usage balance', async () => {
    const { db, f, customer, stripeCustomerId } = await setup()
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 250 })
    const session = topUpSession({ customerId: customer.id, stripeCustomerId, cents: 2000 })
    const res = await deliver(stripeEvent('checkout.session.completed', session))
    expect(res.status).toBe(200)
    // duplicate check, begin, record the event, find the customer, lock it, credit (with its ledger row),
    // then the re-enable rule (lock, billing snapshot; no subscription, so nothing to switch on), note the
    // customer on the event, commit
    expect(statementsOf(res)).toBe(10)
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance?.balanceCents).toBe(2250)
    const ledger = await db.query.balanceLedger.findMany({ where: eq(s.balanceLedger.customerId, customer.id) })
    expect(ledger).toEqual([
      expect.objectContaining({
        kind: 'top_up',
        amountCents: 2000,
        balanceAfterCents: 2250,
        stripeCheckoutSessionId: session.id,
      }),
    ])
  })

  it('credits nothing for a top-up whose payment is still pending, then credits on async success', async () => {
    const { db, customer, stripeCustomerId } = await setup()
    const session = topUpSession({ customerId: customer.id, stripeCustomerId, cents: 1500, paymentStatus: 'unpaid' })
    const pending = await deliver(stripeEvent('checkout.session.completed', session))
    expect(await pending.json()).toMatchObject({ outcome: 'ignored' })
    const balanceOf = () =>
      db.query.extraUsageBalances.findFirst({ where: eq(s.extraUsageBalances.customerId, customer.id) })
    expect(await balanceOf()).toBeUndefined()

    const paid = await deliver(
      stripeEvent('checkout.session.async_payment_succeeded', { ...session, payment_status: 'paid' }),
    )
    expect(paid.status).toBe(200)
    expect((await balanceOf())?.balanceCents).toBe(1500)
  })
})

describe('top-up checks', () => {
  it.each([
    ['another currency', { currency: 'eur' }],
    ['an amount other than the one requested', { amountTotal: 1 }],
    ['an amount the product never offers', { cents: 99_999_900 }],
  ])('credits nothing for %s', async (_, o) => {
    const { db, customer, stripeCustomerId } = await setup()
    const event = stripeEvent(
      'checkout.session.completed',
      topUpSession({ customerId: customer.id, stripeCustomerId, cents: 2000, ...o }),
    )
    const res = await deliver(event)
    expect(await res.json()).toMatchObject({ outcome: 'ignored' })
    expect(await eventRow(db, event.id)).toMatchObject({ status: 'ignored' })
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance).toBeUndefined()
  })
})

describe('invoice.paid', () => {
  it('moves to the new period, activates, clears grace and re-enables only agents billing disabled', async () => {
    const { db, f, customer, plan, stripeCustomerId } = await setup()
    await db
      .update(s.customers)
      .set({ gracePeriodEndsAt: new Date(Date.now() - 3_600_000) })
      .where(eq(s.customers.id, customer.id))
    const local = await f.subscription({ customerId: customer.id, planId: plan.id, status: 'past_due' })
    const billingOff = await f.agentInstance({
      customerId: customer.id,
      isActive: false,
      disabledReason: 'grace_expired',
    })
    const customerOff = await f.agentInstance({ customerId: customer.id, isActive: false, disabledReason: 'manual' })

    await seedStripeSubscription(
      stripeSubscription({
        id: local.stripeSubscriptionId as string,
        customer: stripeCustomerId,
        priceId: plan.stripePriceId as string,
        periodStart: 1706745600,
        periodEnd: 1709424000,
      }),
    )
    const invoice = subscriptionInvoice(
      { stripeCustomerId, subscriptionId: local.stripeSubscriptionId as string },
      { period_start: 1706745600, period_end: 1709424000 },
    )
    const res = await deliver(stripeEvent('invoice.paid', invoice))
    expect(res.status).toBe(200)
    expect(await subscriptionOf(db, customer.id)).toMatchObject({
      status: 'active',
      currentPeriodStart: new Date(1706745600_000),
      currentPeriodEnd: new Date(1709424000_000),
    })
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.gracePeriodEndsAt).toBeNull()
    const agents = await db.query.agentInstances.findMany({ where: eq(s.agentInstances.customerId, customer.id) })
    expect(agents.find((a) => a.id === billingOff.id)).toMatchObject({ isActive: true, disabledReason: null })
    expect(agents.find((a) => a.id === customerOff.id)).toMatchObject({ isActive: false, disabledReason: 'manual' })
  })

  it('ignores an invoice that belongs to no subscription', async () => {
    const { stripeCustomerId } = await setup()
    const res = await deliver(stripeEvent('invoice.paid', { id: `in_test_${uniq()}`, customer: stripeCustomerId }))
    expect(await res.json()).toEqual({ received: true, outcome: 'ignored' })
  })
})

describe('invoice.payment_failed', () => {
  it('marks the subscription past due and starts a grace period', async () => {
    const { db, f, customer, plan } = await setup()
    const local = await f.subscription({ customerId: customer.id, planId: plan.id, status: 'active' })
    const event = stripeEvent('invoice.payment_failed', {
      id: `in_test_${uniq()}`,
      subscription: local.stripeSubscriptionId,
    })
    const res = await deliver(event)
    expect(res.status).toBe(200)
    expect((await subscriptionOf(db, customer.id))?.status).toBe('past_due')
    expect(await eventRow(db, event.id)).toMatchObject({ status: 'processed', customerId: customer.id })
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.gracePeriodEndsAt?.getTime() ?? 0).toBeGreaterThan(Date.now())
  })

  it('keeps a grace period that is already running', async () => {
    const { db, f, customer, plan } = await setup()
    const running = new Date(Date.now() + 3_600_000)
    await db.update(s.customers).set({ gracePeriodEndsAt: running }).where(eq(s.customers.id, customer.id))
    const local = await f.subscription({ customerId: customer.id, planId: plan.id, status: 'past_due' })
    await deliver(
      stripeEvent('invoice.payment_failed', {
        id: `in_test_${uniq()}`,
        parent: { subscription_details: { subscription: local.stripeSubscriptionId } },
      }),
    )
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.gracePeriodEndsAt).toEqual(running)
  })
})

describe('customer.subscription.*', () => {
  it('created / updated set plan (by price), status and period; deleted cancels', async () => {
    const { db, f, customer, plan, stripeCustomerId } = await setup()
    const pro = await f.plan()
    const sub = stripeSubscription({ customer: stripeCustomerId, priceId: plan.stripePriceId as string })
    const t = nowSeconds()

    await deliver(stripeEvent('customer.subscription.created', sub, { created: t - 30 }))
    expect(await subscriptionOf(db, customer.id)).toMatchObject({ planId: plan.id, status: 'active' })

    const upgraded = stripeSubscription({
      id: sub.id,
      customer: stripeCustomerId,
      priceId: pro.stripePriceId as string,
      periodStart: t,
      periodEnd: t + 365 * DAY,
    })
    await deliver(
      stripeEvent('customer.subscription.updated', { ...upgraded, cancel_at_period_end: true }, { created: t - 20 }),
    )
    expect(await subscriptionOf(db, customer.id)).toMatchObject({
      planId: pro.id,
      status: 'active',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: new Date((t + 365 * DAY) * 1000),
    })

    const res = await deliver(
      stripeEvent('customer.subscription.deleted', { ...upgraded, status: 'canceled' }, { created: t - 10 }),
    )
    expect(res.status).toBe(200)
    expect((await subscriptionOf(db, customer.id))?.status).toBe('canceled')
  })

  it('finds the customer by metadata when the Stripe customer id is not stored yet', async () => {
    const { db, f, plan } = await setup()
    const customer = await f.customer({ stripeCustomerId: null })
    const stripeCustomerId = `cus_test_${uniq()}`
    const sub = stripeSubscription({
      customer: stripeCustomerId,
      priceId: plan.stripePriceId as string,
      status: 'trialing',
      trialEnd: nowSeconds() + 7 * DAY,
      metadata: { customer_id: customer.id },
    })
    await deliver(stripeEvent('customer.subscription.created', sub))
    expect(await subscriptionOf(db, customer.id)).toMatchObject({ status: 'trialing', stripeSubscriptionId: sub.id })
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.stripeCustomerId).toBe(stripeCustomerId)
  })

  it('ignores a subscription of a Stripe customer this hub does not know', async () => {
    const { plan } = await setup()
    const res = await deliver(
      stripeEvent(
        'customer.subscription.updated',
        stripeSubscription({ customer: 'cus_elsewhere', priceId: plan.stripePriceId as string }),
      ),
    )
    expect(await res.json()).toEqual({ received: true, outcome: 'ignored' })
  })
})

describe('other event types', () => {
  it('answers 200 and records them as ignored', async () => {
    const { db } = await setup()
    const event = stripeEvent('charge.refunded', { id: `ch_${uniq()}` })
    const res = await deliver(event)
    expect(res.status).toBe(200)
    expect(await eventRow(db, event.id)).toMatchObject({ status: 'ignored', customerId: null })
  })
})

describe('idempotency', () => {
  it('applies an event delivered five times at once exactly once', async () => {
    const { db, customer, stripeCustomerId } = await setup()
    const event = stripeEvent(
      'checkout.session.completed',
      topUpSession({ customerId: customer.id, stripeCustomerId, cents: 1000 }),
    )
    // Stripe retries any delivery that did not get a 2xx. (The embedded test database serves all
    // connections through one session and may fail one of several concurrent transactions; real
    // Postgres blocks the second insert of the event id until the first commits, then skips it.)
    const deliverUntilAccepted = async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const res = await deliver(event)
        if (res.status === 200) return ((await res.json()) as { outcome: string }).outcome
        expect(res.status).toBe(500)
      }
      throw new Error('never accepted')
    }
    const outcomes = await Promise.all(Array.from({ length: 5 }, deliverUntilAccepted))
    expect(outcomes.filter((o) => o === 'processed')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(4)
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance?.balanceCents).toBe(1000)

    const again = await deliver(event)
    expect(await again.json()).toEqual({ received: true, outcome: 'duplicate' })
    expect(statementsOf(again)).toBe(1)
    expect(
      (await db.query.extraUsageBalances.findFirst({ where: eq(s.extraUsageBalances.customerId, customer.id) }))
        ?.balanceCents,
    ).toBe(1000)
  })
})

describe('order independence', () => {
  /** A customer and a subscription of theirs that Stripe describes (with the customer in its metadata). */
  async function customerWithSubscriptionInStripe() {
    const context = await setup()
    const sub = stripeSubscription({
      customer: context.stripeCustomerId,
      priceId: context.plan.stripePriceId as string,
      metadata: { customer_id: context.customer.id },
    })
    return { ...context, sub }
  }

  it('keeps a subscription canceled when its deletion arrives before its creation', async () => {
    const { db, customer, sub } = await customerWithSubscriptionInStripe()
    const t = nowSeconds()
    const deleted = await deliver(
      stripeEvent('customer.subscription.deleted', { ...sub, status: 'canceled' }, { created: t }),
    )
    expect(await deleted.json()).toMatchObject({ outcome: 'processed' })
    expect(await subscriptionOf(db, customer.id)).toMatchObject({ stripeSubscriptionId: sub.id, status: 'canceled' })
    await deliver(stripeEvent('customer.subscription.created', sub, { created: t - 60 }))
    await deliver(stripeEvent('customer.subscription.updated', sub, { created: t - 30 }))
    expect((await subscriptionOf(db, customer.id))?.status).toBe('canceled')
  })

  it('answers 503 for a failed payment of a subscription not stored yet, records nothing, and applies the retry', async () => {
    const { db, customer, stripeCustomerId, sub } = await customerWithSubscriptionInStripe()
    const t = nowSeconds()
    const failed = stripeEvent(
      'invoice.payment_failed',
      { id: `in_test_${uniq()}`, customer: stripeCustomerId, subscription: sub.id },
      { created: t },
    )
    const early = await deliver(failed)
    expect(early.status).toBe(503)
    expect(await eventRow(db, failed.id)).toBeUndefined()
    expect(await subscriptionOf(db, customer.id)).toBeUndefined()

    await deliver(stripeEvent('customer.subscription.created', sub, { created: t - 60 }))
    const retried = await deliver(failed)
    expect(await retried.json()).toMatchObject({ outcome: 'processed' })
    expect((await subscriptionOf(db, customer.id))?.status).toBe('past_due')
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.gracePeriodEndsAt?.getTime() ?? 0).toBeGreaterThan(Date.now())
  })

  it('keeps subscription.updated when checkout.session.completed arrives after it', async () => {
    const { db, f, customer, plan, stripeCustomerId } = await setup()
    const pro = await f.plan()
    const t = nowSeconds()
    const sub = stripeSubscription({ customer: stripeCustomerId, priceId: plan.stripePriceId as string })
    // Stripe now holds the upgraded subscription; the updated event describes it.
    const upgraded = {
      ...stripeSubscription({ id: sub.id, customer: stripeCustomerId, priceId: pro.stripePriceId as string }),
    }
    const checkout = await seededCheckout(customer.id, upgraded, { created: t - 5 })

    await deliver(stripeEvent('customer.subscription.updated', upgraded, { created: t }))
    const res = await deliver(checkout)
    expect(res.status).toBe(200)
    expect(await subscriptionOf(db, customer.id)).toMatchObject({
      planId: pro.id,
      status: 'active',
      stripeSubscriptionId: sub.id,
    })
  })

  it('never lets an older subscription state overwrite a newer one', async () => {
    const { db, f, customer, plan, stripeCustomerId } = await setup()
    const t = nowSeconds()
    const sub = stripeSubscription({ customer: stripeCustomerId, priceId: plan.stripePriceId as string })
    await f.subscription({ customerId: customer.id, planId: plan.id, stripeSubscriptionId: sub.id })

    await deliver(stripeEvent('customer.subscription.deleted', { ...sub, status: 'canceled' }, { created: t }))
    await deliver(stripeEvent('customer.subscription.updated', { ...sub, status: 'past_due' }, { created: t - 10 }))
    await deliver(
      stripeEvent('invoice.payment_failed', { id: `in_${uniq()}`, subscription: sub.id }, { created: t - 5 }),
    )
    expect((await subscriptionOf(db, customer.id))?.status).toBe('canceled')
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(after?.gracePeriodEndsAt).toBeNull()
  })

  it('does not let an ended old subscription replace the current one', async () => {
    const { db, f, customer, plan, stripeCustomerId } = await setup()
    const current = await f.subscription({ customerId: customer.id, planId: plan.id, stripeStateAt: new Date(0) })
    const old = stripeSubscription({
      customer: stripeCustomerId,
      priceId: plan.stripePriceId as string,
      status: 'canceled',
    })
    await deliver(stripeEvent('customer.subscription.updated', old))
    expect(await subscriptionOf(db, customer.id)).toMatchObject({
      stripeSubscriptionId: current.stripeSubscriptionId,
      status: 'active',
    })
  })
})

describe('failures', () => {
  it('answers 500 for a price no plan has, applies nothing, and applies the retry once the plan exists', async () => {
    const { db, f, customer, stripeCustomerId } = await setup()
    const priceId = `price_missing_${uniq()}`
    const sub = stripeSubscription({ customer: stripeCustomerId, priceId })
    const event = await seededCheckout(customer.id, sub)
    const failed = await deliver(event)
    expect(failed.status).toBe(500)
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe('INTERNAL_SERVER_ERROR')
    expect(await subscriptionOf(db, customer.id)).toBeUndefined()
    expect(await eventRow(db, event.id)).toBeUndefined()

    const plan = await f.plan({ stripePriceId: priceId })
    const retried = await deliver(event)
    expect(retried.status).toBe(200)
    expect((await subscriptionOf(db, customer.id))?.planId).toBe(plan.id)
  })

  it('answers 500 when Stripe cannot be reached, and records nothing', async () => {
    const { db, customer, plan, stripeCustomerId } = await setup()
    const sub = stripeSubscription({ customer: stripeCustomerId, priceId: plan.stripePriceId as string })
    await seedStripeSubscription(sub)
    await failStripePath(`/v1/subscriptions/${sub.id}`)
    const event = stripeEvent('invoice.paid', { id: `in_${uniq()}`, subscription: sub.id })
    try {
      const res = await deliver(event)
      expect(res.status).toBe(500)
    } finally {
      await failStripePath(`/v1/subscriptions/${sub.id}`, false)
    }
    expect(await eventRow(db, event.id)).toBeUndefined()
    expect(await subscriptionOf(db, customer.id)).toBeUndefined()
    expect((await deliver(event)).status).toBe(200)
    expect(
      await db.query.subscriptions.findFirst({ where: and(eq(s.subscriptions.customerId, customer.id)) }),
    ).toMatchObject({
      stripeSubscriptionId: sub.id,
    })
  })

  it('answers 422 for a signed event whose object has an unexpected shape', async () => {
    const { db } = await setup()
    const event = stripeEvent('customer.subscription.updated', { id: `sub_${uniq()}`, status: 'exploded' })
    const res = await deliver(event)
    expect(res.status).toBe(422)
    expect(await eventRow(db, event.id)).toBeUndefined()
  })
})
