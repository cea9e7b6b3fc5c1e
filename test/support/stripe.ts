// Helpers for billing tests: events signed with the real SDK, and the stand-in Stripe API
// (scripts/fakes/stripe.ts) the Worker reaches through STRIPE_API_BASE.
import Stripe from 'stripe'
import { env } from './env'
import { uniq } from './factories'
import { call } from './http'

export const WEBHOOK_SECRET = 'whsec_test_fake'
const stripeBase = () => {
  if (!env.STRIPE_API_BASE) throw new Error('STRIPE_API_BASE is not set in tests')
  return env.STRIPE_API_BASE
}
export const nowSeconds = () => Math.floor(Date.now() / 1000)

export interface FakeStripeRequest {
  method: string
  path: string
  params: Record<string, string>
}

export async function seedStripeSubscription(subscription: Record<string, unknown>) {
  const res = await fetch(`${stripeBase()}/__control/subscriptions`, {
    method: 'POST',
    body: JSON.stringify(subscription),
  })
  if (!res.ok) throw new Error(`fake Stripe refused the subscription: ${res.status}`)
}

/** Makes the stand-in answer 500 on `path` (only for requests with these form params, when given). */
export async function failStripePath(path: string, failing = true, params?: Record<string, string>) {
  await fetch(`${stripeBase()}/__control/failures`, {
    method: failing ? 'POST' : 'DELETE',
    body: JSON.stringify({ path, ...(params ? { params } : {}) }),
  })
}

/** Requests the stand-in received, filtered to the ones a test cares about. */
export async function stripeRequests(filter: (r: FakeStripeRequest) => boolean): Promise<FakeStripeRequest[]> {
  const res = await fetch(`${stripeBase()}/__control/requests`)
  const body = (await res.json()) as { requests: FakeStripeRequest[] }
  return body.requests.filter(filter)
}

/** A subscription object in the current API shape (period on the item). */
export function stripeSubscription(o: {
  id?: string
  customer: string
  priceId: string
  status?: string
  periodStart?: number
  periodEnd?: number
  trialEnd?: number | null
  metadata?: Record<string, string>
}) {
  const start = o.periodStart ?? nowSeconds()
  const end = o.periodEnd ?? start + 30 * 86_400
  return {
    id: o.id ?? `sub_test_${uniq()}`,
    object: 'subscription',
    customer: o.customer,
    status: o.status ?? 'active',
    created: start,
    start_date: start,
    cancel_at_period_end: false,
    trial_end: o.trialEnd ?? null,
    metadata: o.metadata ?? {},
    items: {
      object: 'list',
      data: [
        {
          id: `si_${uniq()}`,
          object: 'subscription_item',
          price: { id: o.priceId, object: 'price' },
          current_period_start: start,
          current_period_end: end,
        },
      ],
    },
  }
}

/**
 * A paid Checkout Session as our checkout creates it and Stripe sends it back: the hub's customer in
 * `client_reference_id` and the metadata, then what the mode adds (`fields`; `metadata` is merged).
 */
export function checkoutSession(
  mode: 'payment' | 'subscription',
  o: { customerId: string; stripeCustomerId: string },
  { metadata, ...fields }: Record<string, unknown> & { metadata?: Record<string, string> } = {},
) {
  return {
    id: `cs_test_${uniq()}`,
    object: 'checkout.session',
    mode,
    customer: o.stripeCustomerId,
    client_reference_id: o.customerId,
    metadata: { customer_id: o.customerId, ...metadata },
    payment_status: 'paid',
    ...fields,
  }
}

/** A Checkout Session of a top-up as Stripe sends it back: what our checkout created, then paid. */
export function topUpSession(o: {
  customerId: string
  stripeCustomerId: string
  cents: number
  paymentStatus?: string
  currency?: string
  amountTotal?: number
}) {
  return checkoutSession('payment', o, {
    metadata: { kind: 'top_up', amount_cents: String(o.cents) },
    payment_status: o.paymentStatus ?? 'paid',
    currency: o.currency ?? 'usd',
    amount_total: o.amountTotal ?? o.cents,
  })
}

/** A paid top-up's `checkout.session.completed`, as our checkout creates it (the amount in metadata, usd). */
export function topUpEvent(customer: { id: string; stripeCustomerId: string | null }, cents: number) {
  return stripeEvent(
    'checkout.session.completed',
    topUpSession({ customerId: customer.id, stripeCustomerId: customer.stripeCustomerId as string, cents }),
  )
}

export function stripeEvent(type: string, object: Record<string, unknown>, o: { id?: string; created?: number } = {}) {
  return {
    id: o.id ?? `evt_test_${uniq()}${uniq()}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: o.created ?? nowSeconds(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  }
}

export async function signature(payload: string, o: { secret?: string; timestamp?: number } = {}) {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: o.secret ?? WEBHOOK_SECRET,
    timestamp: o.timestamp ?? nowSeconds(),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  })
}

export function postWebhook(body: string, signatureHeader?: string) {
  return call('/billing/webhook/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(signatureHeader ? { 'Stripe-Signature': signatureHeader } : {}),
    },
    body,
  })
}

/** Signs and delivers an event the way Stripe does. */
export async function deliver(event: ReturnType<typeof stripeEvent>) {
  const body = JSON.stringify(event, null, 2)
  return postWebhook(body, await signature(body))
}
