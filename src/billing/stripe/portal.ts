import type Stripe from 'stripe'
import type { Executor } from '../../db/client'
import type { customers } from '../../db/schema'
import { billingPageUrl, ensureStripeCustomer } from './checkout'

/** The Stripe billing portal (payment method, invoices, cancellation). */
export async function openBillingPortal(
  db: Executor,
  stripe: Stripe,
  customer: typeof customers.$inferSelect,
  origin: string,
) {
  const stripeCustomerId = await ensureStripeCustomer(db, stripe, customer)
  const portal = await stripe.billingPortal.sessions.create({
    customer: stripeCustomerId,
    return_url: billingPageUrl(origin),
  })
  return portal.url
}
