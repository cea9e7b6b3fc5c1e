import { and, eq, isNull } from 'drizzle-orm'
import type Stripe from 'stripe'
import type { Executor } from '../../db/client'
import { customers, plans, type SubscriptionStatus } from '../../db/schema'
import { AppError } from '../../errors'
import { TOP_UP_KIND } from './events'

type CustomerRow = typeof customers.$inferSelect

/** Top-ups in whole dollars: enough to matter, not so much that a typo hurts. */
export const TOP_UP_MIN_DOLLARS = 5
export const TOP_UP_MAX_DOLLARS = 1000
export const TOP_UP_CURRENCY = 'usd'

/** Subscription states in which Stripe still bills: a plan change goes through the portal, not a second checkout. */
const LIVE_IN_STRIPE: readonly SubscriptionStatus[] = ['active', 'trialing', 'past_due', 'unpaid', 'paused']

export const billingPageUrl = (origin: string, query = '') => `${origin}/billing/${query}`

/**
 * The customer's Stripe customer id, creating the Stripe customer on first use. The idempotency key
 * makes a double click create one Stripe customer; the conditional update keeps the first id stored.
 */
export async function ensureStripeCustomer(db: Executor, stripe: Stripe, customer: CustomerRow): Promise<string> {
  if (customer.stripeCustomerId) return customer.stripeCustomerId
  const created = await stripe.customers.create(
    { email: customer.email, name: customer.name, metadata: { customer_id: customer.id } },
    { idempotencyKey: `echoforge-customer-${customer.id}` },
  )
  const stored = await db
    .update(customers)
    .set({ stripeCustomerId: created.id })
    .where(and(eq(customers.id, customer.id), isNull(customers.stripeCustomerId)))
    .returning({ id: customers.stripeCustomerId })
  if (stored[0]?.id) return stored[0].id
  const current = await db.query.customers.findFirst({ where: eq(customers.id, customer.id) })
  return current?.stripeCustomerId ?? created.id
}

/** A plan customers can buy: active and sold through Stripe. */
export async function purchasablePlan(db: Executor, slug: string) {
  const plan = await db.query.plans.findFirst({ where: and(eq(plans.slug, slug), eq(plans.isActive, true)) })
  if (!plan?.stripePriceId) throw new AppError('NOT_FOUND', 'That plan does not exist or is not available.')
  return { ...plan, stripePriceId: plan.stripePriceId }
}

/**
 * Where "choose this plan" leads: a Checkout Session in subscription mode, or, when Stripe already
 * bills a subscription for this customer, the billing portal to change it (never a second subscription).
 */
export async function startPlanPurchase(
  db: Executor,
  stripe: Stripe,
  customer: CustomerRow,
  planSlug: string,
  origin: string,
): Promise<string> {
  const plan = await purchasablePlan(db, planSlug)
  const stripeCustomerId = await ensureStripeCustomer(db, stripe, customer)
  const current = await db.query.subscriptions.findFirst({ where: (s, { eq }) => eq(s.customerId, customer.id) })
  if (current?.stripeSubscriptionId && LIVE_IN_STRIPE.includes(current.status)) {
    const portal = await stripe.billingPortal.sessions.create({
      customer: stripeCustomerId,
      return_url: billingPageUrl(origin),
      flow_data: {
        type: 'subscription_update',
        subscription_update: { subscription: current.stripeSubscriptionId },
        after_completion: { type: 'redirect', redirect: { return_url: billingPageUrl(origin, '?changed=1') } },
      },
    })
    return portal.url
  }
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: stripeCustomerId,
    client_reference_id: customer.id,
    line_items: [{ price: plan.stripePriceId, quantity: 1 }],
    metadata: { customer_id: customer.id, plan: plan.slug },
    subscription_data: { metadata: { customer_id: customer.id, plan: plan.slug } },
    success_url: billingPageUrl(origin, '?checkout=success'),
    cancel_url: billingPageUrl(origin, '?checkout=canceled'),
  })
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL')
  return session.url
}

/** A Checkout Session in payment mode; the webhook credits the extra usage balance once it is paid. */
export async function startTopUp(
  db: Executor,
  stripe: Stripe,
  customer: CustomerRow,
  dollars: number,
  origin: string,
): Promise<string> {
  const stripeCustomerId = await ensureStripeCustomer(db, stripe, customer)
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    customer: stripeCustomerId,
    client_reference_id: customer.id,
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: TOP_UP_CURRENCY,
          unit_amount: dollars * 100,
          product_data: { name: 'EchoForge extra usage balance' },
        },
      },
    ],
    metadata: { customer_id: customer.id, kind: TOP_UP_KIND },
    success_url: billingPageUrl(origin, '?top_up=success'),
    cancel_url: billingPageUrl(origin, '?top_up=canceled'),
  })
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL')
  return session.url
}
