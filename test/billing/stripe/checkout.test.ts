import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { factories, uniq } from '../../support/factories'
import { failStripePath, seedStripeSubscription, stripeRequests, stripeSubscription } from '../../support/stripe'
import { signedInAccount } from '../../support/web'
import { WebClient } from '../../support/web-client'

const requestsFor = (customerId: string, path: string) =>
  stripeRequests((r) => r.path === path && r.params['metadata[customer_id]'] === customerId)

describe('POST /billing/checkout/', () => {
  it('creates a Checkout Session in subscription mode and redirects to it', async () => {
    const { customer, web, f } = await signedInAccount({ stripeCustomerId: `cus_test_${uniq()}` })
    const plan = await f.plan({ stripePriceId: `price_test_${uniq()}` })

    const res = await web.post('/billing/checkout/', { plan: plan.slug })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toMatch(/^https:\/\/checkout\.stripe\.com\//)

    const [session, ...others] = await requestsFor(customer.id, '/v1/checkout/sessions')
    expect(others).toHaveLength(0)
    expect(session?.params).toMatchObject({
      mode: 'subscription',
      customer: customer.stripeCustomerId,
      'line_items[0][price]': plan.stripePriceId,
      'line_items[0][quantity]': '1',
      'subscription_data[metadata][customer_id]': customer.id,
      success_url: 'http://localhost/billing/?checkout=success',
      cancel_url: 'http://localhost/billing/?checkout=canceled',
    })
  })

  it('creates and stores the Stripe customer first when the customer has none', async () => {
    const { db, customer, web, f } = await signedInAccount({ stripeCustomerId: null })
    const plan = await f.plan()

    const res = await web.post('/billing/checkout/', { plan: plan.slug })
    expect(res.status).toBe(302)
    const created = await requestsFor(customer.id, '/v1/customers')
    expect(created).toHaveLength(1)
    expect(created[0]?.params.email).toBe(customer.email)

    const stored = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(stored?.stripeCustomerId).toMatch(/^cus_fake_/)
    const [session] = await requestsFor(customer.id, '/v1/checkout/sessions')
    expect(session?.params.customer).toBe(stored?.stripeCustomerId)

    // A second checkout reuses the stored Stripe customer.
    await web.post('/billing/checkout/', { plan: plan.slug })
    expect(await requestsFor(customer.id, '/v1/customers')).toHaveLength(1)
  })

  it('requires login', async () => {
    const { db } = testDb()
    const plan = await factories(db).plan()
    const res = await new WebClient().post('/billing/checkout/', { plan: plan.slug })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toMatch(/^\/login/)
  })

  it('answers 404 for an unknown plan, an inactive plan and a plan without a Stripe price', async () => {
    const { web, f } = await signedInAccount()
    const inactive = await f.plan({ isActive: false })
    const unpriced = await f.plan({ stripePriceId: null })
    for (const slug of ['nonexistent', inactive.slug, unpriced.slug, '']) {
      const res = await web.post('/billing/checkout/', { plan: slug })
      expect(res.status).toBe(404)
      expect(res.headers.get('Content-Type')).toMatch(/text\/html/)
    }
  })

  it('rejects a post without the CSRF token', async () => {
    const { web, f } = await signedInAccount()
    const plan = await f.plan()
    const res = await web.post('/billing/checkout/', { plan: plan.slug }, { csrf: false })
    expect(res.status).toBe(403)
  })

  it('switches a customer whom Stripe already bills to the chosen price, prorated (never a second subscription)', async () => {
    const { customer, web, f } = await signedInAccount()
    const starter = await f.plan()
    const current = await f.subscription({ customerId: customer.id, planId: starter.id, status: 'active' })
    const live = stripeSubscription({
      id: current.stripeSubscriptionId as string,
      customer: customer.stripeCustomerId as string,
      priceId: starter.stripePriceId as string,
    })
    await seedStripeSubscription(live)
    const pro = await f.plan({ name: `Pro${uniq()}` })

    const res = await web.post('/billing/checkout/', { plan: pro.slug })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('http://localhost/billing/?changed=1')
    const updates = await stripeRequests((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${live.id}`)
    expect(updates).toHaveLength(1)
    expect(updates[0]?.params).toMatchObject({
      'items[0][id]': live.items.data[0]?.id,
      'items[0][price]': pro.stripePriceId,
      proration_behavior: 'create_prorations',
    })
    expect(await requestsFor(customer.id, '/v1/checkout/sessions')).toHaveLength(0)
    expect(
      await stripeRequests(
        (r) => r.path === '/v1/billing_portal/sessions' && r.params.customer === customer.stripeCustomerId,
      ),
    ).toHaveLength(0)

    // Choosing the plan it is already on changes nothing in Stripe.
    await seedStripeSubscription(
      stripeSubscription({ id: live.id, customer: live.customer, priceId: pro.stripePriceId as string }),
    )
    await web.post('/billing/checkout/', { plan: pro.slug })
    expect(await stripeRequests((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${live.id}`)).toHaveLength(
      1,
    )
  })

  it('shows a readable page, not a 500, when Stripe is unreachable', async () => {
    const { web, customer, f } = await signedInAccount({ stripeCustomerId: null })
    const plan = await f.plan()
    const onlyThisCustomer = { 'metadata[customer_id]': customer.id }
    await failStripePath('/v1/customers', true, onlyThisCustomer)
    try {
      const res = await web.post('/billing/checkout/', { plan: plan.slug })
      expect(res.status).toBe(503)
      const html = await res.text()
      expect(html).toContain('Payments are unavailable right now')
      expect(html).not.toContain('fake outage')
    } finally {
      await failStripePath('/v1/customers', false, onlyThisCustomer)
    }
  })
})

describe('POST /billing/top-up/', () => {
  it('creates a Checkout Session in payment mode for the amount, the amount kept in its metadata', async () => {
    const { customer, web } = await signedInAccount()
    const res = await web.post('/billing/top-up/', { amount: '40' })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toMatch(/^https:\/\/checkout\.stripe\.com\//)
    const [session] = await requestsFor(customer.id, '/v1/checkout/sessions')
    expect(session?.params).toMatchObject({
      mode: 'payment',
      customer: customer.stripeCustomerId,
      'metadata[kind]': 'top_up',
      // The webhook credits only this amount, and only if the session's total matches it.
      'metadata[amount_cents]': '4000',
      'line_items[0][price_data][unit_amount]': '4000',
      'line_items[0][price_data][currency]': 'usd',
    })
  })

  it.each([['0'], ['4'], ['1001'], ['12.5'], ['lots'], ['']])('refuses the amount %j', async (amount) => {
    const { customer, web } = await signedInAccount()
    const res = await web.post('/billing/top-up/', { amount })
    expect(res.status).toBe(422)
    expect(await requestsFor(customer.id, '/v1/checkout/sessions')).toHaveLength(0)
  })
})

describe('POST /billing/portal/', () => {
  it('opens a billing portal session for the customer', async () => {
    const { customer, web } = await signedInAccount()
    const res = await web.post('/billing/portal/')
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//)
    const portal = await stripeRequests(
      (r) => r.path === '/v1/billing_portal/sessions' && r.params.customer === customer.stripeCustomerId,
    )
    expect(portal[0]?.params.return_url).toBe('http://localhost/billing/')
  })

  it('sends HTMX requests to Stripe with a full-page redirect', async () => {
    const { web } = await signedInAccount()
    const res = await web.post('/billing/portal/', {}, { headers: { 'HX-Request': 'true' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('HX-Redirect')).toMatch(/^https:\/\/billing\.stripe\.com\//)
  })
})
