// Spec 8.2 (end-to-end billing cycle) plus a whole subscription life replayed through the real
// Worker: checkout, webhooks out of order, failed renewal, grace expiry by Cron, payment, top-up, cancel.
import { createScheduledController } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../src/db/schema'
import worker from '../../src/index'
import { GRACE_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { canRespond, postBatch, report } from '../support/billing'
import { env } from '../support/env'
import { uniq } from '../support/factories'
import { createExecutionContext, waitOnExecutionContext } from '../support/http'
import {
  deliver,
  nowSeconds,
  seedStripeSubscription,
  stripeEvent,
  stripeRequests,
  stripeSubscription,
  topUpEvent,
} from '../support/stripe'
import { subscriptionCheckoutSession, subscriptionInvoice } from '../support/stripe-subscription'
import { signedInAccount } from '../support/web'

const DAY = 86_400

describe('spec 8.2: end-to-end billing cycle', () => {
  it('accumulates usage up to the limit, then allows only in grace, then denies', async () => {
    const { db, f, customer } = await signedInAccount()
    const plan = await f.plan({ limits: { messages: 100, tokens: 10000 } })
    await f.subscription({ customerId: customer.id, planId: plan.id })
    const agent = await f.agentInstance({ customerId: customer.id })

    for (let batch = 0; batch < 10; batch++) {
      const reports = Array.from({ length: 10 }, () =>
        report(agent.id, { messages: 1, input_tokens: 50, output_tokens: 50 }),
      )
      expect((await postBatch(reports)).status).toBe(200)
    }
    // Reaching the limit starts a grace period (no balance): still allowed, and says why.
    const { body } = await canRespond(agent.id)
    expect(body).toMatchObject({
      allowed: true,
      in_grace_period: true,
      reason_code: 'over_limit_grace',
      over_limit: ['messages', 'tokens'],
      usage_remaining: { messages: 0, tokens: 0 },
    })
    // Once the grace period is over (moved into the past), it is denied.
    await db
      .update(s.customers)
      .set({ gracePeriodEndsAt: new Date(Date.now() - 1000) })
      .where(eq(s.customers.id, customer.id))
    expect((await canRespond(agent.id)).body).toMatchObject({ allowed: false, reason_code: 'over_limit' })
  })

  it('upgrades the plan through Stripe: the new price reaches Stripe, the webhook lifts the limit', async () => {
    const { db, f, customer, web } = await signedInAccount()
    const plan = await f.plan({ limits: { messages: 100, tokens: 10000 } })
    const local = await f.subscription({ customerId: customer.id, planId: plan.id })
    const live = stripeSubscription({
      id: local.stripeSubscriptionId as string,
      customer: customer.stripeCustomerId as string,
      priceId: plan.stripePriceId as string,
    })
    await seedStripeSubscription(live)
    const pro = await f.plan({ name: `Pro${uniq()}`, limits: { messages: 1000 } })
    const agent = await f.agentInstance({ customerId: customer.id })
    await postBatch([report(agent.id, { messages: 100 })])
    await db.update(s.customers).set({ gracePeriodEndsAt: null }).where(eq(s.customers.id, customer.id))
    expect((await canRespond(agent.id)).body.allowed).toBe(false)

    const res = await web.post('/billing/checkout/', { plan: pro.slug })
    expect(res.status).toBe(302)
    const updates = await stripeRequests((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${live.id}`)
    expect(updates.map((u) => u.params['items[0][price]'])).toEqual([pro.stripePriceId])
    expect(
      await stripeRequests(
        (r) => r.path === '/v1/checkout/sessions' && r.params.customer === customer.stripeCustomerId,
      ),
    ).toEqual([])

    const { items: _items, ...upgradedBase } = live
    const upgraded = stripeSubscription({
      id: upgradedBase.id,
      customer: upgradedBase.customer,
      priceId: pro.stripePriceId as string,
      periodStart: Math.floor(local.currentPeriodStart.getTime() / 1000),
      periodEnd: Math.floor(local.currentPeriodEnd.getTime() / 1000),
    })
    await deliver(stripeEvent('customer.subscription.updated', upgraded))
    expect((await canRespond(agent.id)).body).toMatchObject({
      allowed: true,
      plan: pro.slug,
      limits: { messages: 1000 },
    })
  })
})

describe('a subscription life, replayed', () => {
  it('checkout → out-of-order webhooks → failed renewal → grace expiry → payment → top-up → cancel', async () => {
    const { db, f, customer, web } = await signedInAccount({ stripeCustomerId: null })
    const trialPlan = await f.plan({ stripePriceId: null })
    await f.subscription({
      customerId: customer.id,
      planId: trialPlan.id,
      status: 'trialing',
      stripeSubscriptionId: null,
      trialEndsAt: new Date(Date.now() + 7 * DAY * 1000),
    })
    const plan = await f.plan({ limits: { messages: 100 } })
    const agent = await f.agentInstance({ customerId: customer.id })
    const switchedOff = await f.agentInstance({ customerId: customer.id, isActive: false, disabledReason: 'manual' })
    const subscriptionRow = () =>
      db.query.subscriptions.findFirst({ where: eq(s.subscriptions.customerId, customer.id) })
    const customerRow = () => db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    const agentRow = (id: string) => db.query.agentInstances.findFirst({ where: eq(s.agentInstances.id, id) })

    // 1. Checkout: the Stripe customer is created and stored, then the session.
    expect((await web.post('/billing/checkout/', { plan: plan.slug })).status).toBe(302)
    const stripeCustomerId = (await customerRow())?.stripeCustomerId as string
    expect(stripeCustomerId).toMatch(/^cus_fake_/)

    // 2. Stripe creates the subscription; its three events arrive newest first.
    const t0 = nowSeconds() - 3600
    const p1 = { periodStart: t0, periodEnd: t0 + 30 * DAY }
    const sub = stripeSubscription({
      customer: stripeCustomerId,
      priceId: plan.stripePriceId as string,
      metadata: { customer_id: customer.id },
      ...p1,
    })
    await seedStripeSubscription(sub)
    const subscriptionRef = { customerId: customer.id, stripeCustomerId, subscriptionId: sub.id }
    const invoice = () => subscriptionInvoice(subscriptionRef)
    await deliver(stripeEvent('invoice.paid', invoice(), { created: t0 + 2 }))
    await deliver(stripeEvent('customer.subscription.created', sub, { created: t0 }))
    await deliver(
      stripeEvent('checkout.session.completed', subscriptionCheckoutSession(subscriptionRef), { created: t0 + 1 }),
    )
    expect(await subscriptionRow()).toMatchObject({
      planId: plan.id,
      status: 'active',
      stripeSubscriptionId: sub.id,
      currentPeriodStart: new Date(t0 * 1000),
    })
    expect((await canRespond(agent.id)).body.allowed).toBe(true)

    // 3. The renewal fails: past due, and a grace period starts.
    const t1 = t0 + 60
    await seedStripeSubscription({ ...sub, status: 'past_due' })
    await deliver(stripeEvent('invoice.payment_failed', invoice(), { created: t1 }))
    await deliver(stripeEvent('customer.subscription.updated', { ...sub, status: 'past_due' }, { created: t1 + 1 }))
    expect((await subscriptionRow())?.status).toBe('past_due')
    const graceEndsAt = (await customerRow())?.gracePeriodEndsAt
    expect(graceEndsAt?.getTime() ?? 0).toBeGreaterThan(Date.now())

    // 4. The grace period ends (moved into the past so the job can run "then" without touching other tests' rows).
    await db
      .update(s.customers)
      .set({ gracePeriodEndsAt: new Date('2000-12-31T23:00:00Z') })
      .where(eq(s.customers.id, customer.id))
    for (let run = 0; run < 2; run++) {
      const ctx = createExecutionContext()
      await worker.scheduled(
        createScheduledController({ cron: GRACE_EXPIRY_CRON, scheduledTime: new Date('2001-01-01T00:15:00Z') }),
        env,
        ctx,
      )
      await waitOnExecutionContext(ctx)
    }
    expect(await agentRow(agent.id)).toMatchObject({ isActive: false, disabledReason: 'grace_expired' })
    expect(await agentRow(switchedOff.id)).toMatchObject({ isActive: false, disabledReason: 'manual' })
    expect((await customerRow())?.gracePeriodEndsAt).toBeNull()
    const sent = await db.query.notifications.findMany({ where: eq(s.notifications.customerId, customer.id) })
    expect(sent.map((n) => [n.kind, n.status, n.recipient])).toEqual([['grace_expired', 'sent', customer.email]])

    // 5. The customer pays: next period, active, billing's agents back on, the manual one stays off.
    const t2 = t1 + 120
    const p2 = { periodStart: t0 + 30 * DAY, periodEnd: t0 + 60 * DAY }
    const renewed = stripeSubscription({
      id: sub.id,
      customer: stripeCustomerId,
      priceId: plan.stripePriceId as string,
      ...p2,
    })
    await seedStripeSubscription(renewed)
    await deliver(stripeEvent('invoice.paid', invoice(), { created: t2 }))
    expect(await subscriptionRow()).toMatchObject({
      status: 'active',
      currentPeriodStart: new Date(p2.periodStart * 1000),
      currentPeriodEnd: new Date(p2.periodEnd * 1000),
    })
    expect(await agentRow(agent.id)).toMatchObject({ isActive: true, disabledReason: null })
    expect(await agentRow(switchedOff.id)).toMatchObject({ isActive: false, disabledReason: 'manual' })
    expect((await canRespond(agent.id)).body.allowed).toBe(true)

    // 6. A top-up through checkout lands on the balance, once, and shows on the billing page.
    expect((await web.post('/billing/top-up/', { amount: '25' })).status).toBe(302)
    const topUp = topUpEvent({ id: customer.id, stripeCustomerId }, 2500)
    await deliver(topUp)
    await deliver(topUp)
    expect((await web.page('/billing/')).html).toContain('$25.00')

    // 7. Cancelled in the portal; a stale update arriving after the deletion changes nothing.
    const t3 = t2 + 600
    await deliver(stripeEvent('customer.subscription.deleted', { ...renewed, status: 'canceled' }, { created: t3 + 1 }))
    await deliver(
      stripeEvent('customer.subscription.updated', { ...renewed, cancel_at_period_end: true }, { created: t3 }),
    )
    expect((await subscriptionRow())?.status).toBe('canceled')
    expect((await canRespond(agent.id)).body.allowed).toBe(false)
  })
})
