import { z } from 'zod'
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../../db/schema'

// What billing reads from Stripe objects, parsed at the edge. Both the current API shape
// (periods on subscription items, invoice.parent.subscription_details) and the older one
// (periods on the subscription, invoice.subscription) are accepted.

const idOf = z.union([z.string(), z.object({ id: z.string() })]).transform((v) => (typeof v === 'string' ? v : v.id))
const metadata = z.record(z.string(), z.string()).nullish()
const epoch = z.number().int().nonnegative()

const subscriptionSchema = z.object({
  id: z.string().min(1),
  customer: idOf,
  status: z.enum(SUBSCRIPTION_STATUSES),
  created: epoch.optional(),
  start_date: epoch.optional(),
  current_period_start: epoch.nullish(),
  current_period_end: epoch.nullish(),
  trial_end: epoch.nullish(),
  cancel_at_period_end: z.boolean().optional(),
  metadata,
  items: z
    .object({
      data: z.array(
        z.object({
          price: z.object({ id: z.string() }),
          current_period_start: epoch.nullish(),
          current_period_end: epoch.nullish(),
        }),
      ),
    })
    .optional(),
})

export interface SubscriptionSnapshot {
  stripeSubscriptionId: string
  stripeCustomerId: string
  /** Our customer id when the subscription carries it in metadata (set at checkout). */
  customerId: string | undefined
  status: SubscriptionStatus
  priceId: string | undefined
  periodStart: Date
  periodEnd: Date
  trialEndsAt: Date | null
  cancelAtPeriodEnd: boolean
}

const toDate = (seconds: number) => new Date(seconds * 1000)
const uuid = z.uuid()

export function customerIdFromMetadata(meta: Record<string, string> | null | undefined): string | undefined {
  const parsed = uuid.safeParse(meta?.customer_id)
  return parsed.success ? parsed.data : undefined
}

export function parseSubscription(object: unknown): SubscriptionSnapshot {
  const sub = subscriptionSchema.parse(object)
  const item = sub.items?.data[0]
  const start = item?.current_period_start ?? sub.current_period_start ?? sub.start_date ?? sub.created ?? 0
  const end = item?.current_period_end ?? sub.current_period_end ?? start
  return {
    stripeSubscriptionId: sub.id,
    stripeCustomerId: sub.customer,
    customerId: customerIdFromMetadata(sub.metadata),
    status: sub.status,
    priceId: item?.price.id,
    periodStart: toDate(start),
    periodEnd: toDate(Math.max(start, end)),
    trialEndsAt: sub.trial_end ? toDate(sub.trial_end) : null,
    cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
  }
}

const checkoutSessionSchema = z.object({
  id: z.string(),
  mode: z.enum(['subscription', 'payment', 'setup']),
  customer: idOf.nullish(),
  subscription: idOf.nullish(),
  client_reference_id: z.string().nullish(),
  metadata,
  payment_status: z.string().nullish(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
})

export type CheckoutSessionSnapshot = ReturnType<typeof parseCheckoutSession>

export function parseCheckoutSession(object: unknown) {
  const session = checkoutSessionSchema.parse(object)
  return {
    ...session,
    customerId: customerIdFromMetadata(session.metadata) ?? uuid.safeParse(session.client_reference_id).data,
  }
}

const invoiceSchema = z.object({
  id: z.string().optional(),
  subscription: idOf.nullish(),
  parent: z.object({ subscription_details: z.object({ subscription: idOf }).nullish() }).nullish(),
})

/** The subscription an invoice belongs to, or undefined for a one-off invoice. */
export function invoiceSubscriptionId(object: unknown): string | undefined {
  const invoice = invoiceSchema.parse(object)
  return invoice.parent?.subscription_details?.subscription ?? invoice.subscription ?? undefined
}
