import { and, eq, isNull } from 'drizzle-orm'
import type Stripe from 'stripe'
import type { Executor } from '../../db/client'
import { customers, plans, type SubscriptionStatus } from '../../db/schema'
import { Conflict, NotFound } from '../../errors'
import { TOP_UP_CURRENCY, topUpMetadata } from './top-up'

type CustomerRow = typeof customers.$inferSelect

/** Subscription states in which Stripe still bills: a plan change updates that subscription, never a second one. */
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
  if (!plan?.stripePriceId) throw new NotFound('Plan', 'That plan does not exist or is not available.')
  return { ...plan, stripePriceId: plan.stripePriceId }
}

/**
 * "Choose this plan": a Checkout Session in subscription mode for a customer Stripe does not bill yet;
 * for one it already bills, the subscription's price is changed in place, with proration (never a
 * second subscription). Stripe's `customer.subscription.updated` webhook then stores the new plan.
 * Returns where to send the browser.
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
    await switchSubscriptionPrice(stripe, current.stripeSubscriptionId, plan, customer.id)
    return billingPageUrl(origin, '?changed=1')
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

/** Moves the subscription's one item to the plan's price (prorated); nothing to do when it is already on it. */
async function switchSubscriptionPrice(
  stripe: Stripe,
  subscriptionId: string,
  plan: { slug: string; stripePriceId: string },
  customerId: string,
) {
  const subscription = await stripe.subscriptions.retrieve(subscriptionId)
  const item = subscription.items.data[0]
  if (!item) throw new Conflict('The subscription in Stripe has no item to change; contact support.')
  if (item.price.id === plan.stripePriceId) return
  await stripe.subscriptions.update(subscriptionId, {
    items: [{ id: item.id, price: plan.stripePriceId }],
    proration_behavior: 'create_prorations',
    metadata: { customer_id: customerId, plan: plan.slug },
  })
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
    metadata: topUpMetadata(customer.id, dollars * 100),
    success_url: billingPageUrl(origin, '?top_up=success'),
    cancel_url: billingPageUrl(origin, '?top_up=canceled'),
  })
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL')
  return session.url
}
