// Stripe objects that point at a subscription: the Checkout Session that started it and its
// invoices (the subscription object itself is `stripeSubscription` in ./stripe).
import { uniq } from './factories'
import { checkoutSession } from './stripe'

export interface SubscriptionRef {
  /** The hub's customer id, which our checkout puts in the session's metadata. */
  customerId: string
  stripeCustomerId: string
  subscriptionId: string
}

/** A completed Checkout Session in subscription mode, as our checkout creates it. */
export function subscriptionCheckoutSession(o: SubscriptionRef) {
  return checkoutSession('subscription', o, { subscription: o.subscriptionId })
}

/** An invoice of the subscription in the current API shape (the subscription under `parent`), with any `fields` added. */
export function subscriptionInvoice(o: Omit<SubscriptionRef, 'customerId'>, fields: Record<string, unknown> = {}) {
  return {
    id: `in_test_${uniq()}`,
    object: 'invoice',
    customer: o.stripeCustomerId,
    parent: { type: 'subscription_details', subscription_details: { subscription: o.subscriptionId } },
    ...fields,
  }
}
