import { eq } from 'drizzle-orm'
import type Stripe from 'stripe'
import { ZodError } from 'zod'
import type { Database, Executor } from '../../db/client'
import { stripeEvents } from '../../db/schema'
import { Unreadable } from '../../errors'
import { reactivateAgentsIfBillingAllows } from '../rules/agent-reactivation'
import { enterGracePeriod } from '../rules/grace-period'
import { addPrepaidCredit } from '../rules/prepaid-credit'
import { invoiceSubscriptionId, parseCheckoutSession, parseSubscription, type SubscriptionSnapshot } from './objects'
import { endGracePeriod } from './standing'
import { applySubscriptionSnapshot, EventNotApplicableYet, markPastDue, resolveCustomer } from './subscription-state'
import { paidTopUpCents, TOP_UP_KIND } from './top-up'

export type EventOutcome = 'processed' | 'ignored' | 'duplicate'
/** What an effect did, and to which of our customers when it resolved one (recorded on the event). */
interface Applied {
  outcome: 'processed' | 'ignored'
  customerId?: string
}
type Effect = (tx: Executor) => Promise<Applied>

export interface EventDeps {
  db: Database
  /** Built only when an event needs to read from Stripe. */
  stripe: () => Stripe
  /** Told which customer an applied event changed, once it committed (the hot path's copy reloads). */
  changed?: (customerId: string) => void
}

/**
 * Applies a verified event exactly once. Anything read from Stripe is read first; then the event id
 * is recorded in the same transaction as its effect, so concurrent deliveries of one event have one
 * effect and a failure leaves neither the effect nor the record (Stripe retries).
 */
export async function processStripeEvent(deps: EventDeps, event: Stripe.Event): Promise<EventOutcome> {
  if (await deps.db.query.stripeEvents.findFirst({ where: eq(stripeEvents.id, event.id), columns: { id: true } })) {
    return 'duplicate'
  }
  const stateAt = new Date(event.created * 1000)
  let effect: Effect | undefined
  try {
    effect = await effectOf(deps, event, stateAt)
  } catch (error) {
    if (error instanceof ZodError) throw unexpectedShape(event, error)
    throw error
  }
  let changedCustomer: string | undefined
  const outcome = await deps.db.transaction(async (tx) => {
    const recorded = await tx
      .insert(stripeEvents)
      .values({ id: event.id, type: event.type, status: 'processed', stripeCreatedAt: stateAt })
      .onConflictDoNothing()
      .returning({ id: stripeEvents.id })
    if (recorded.length === 0) return 'duplicate'
    const { outcome, customerId } = effect ? await effect(tx) : { outcome: 'ignored' as const }
    if (outcome === 'ignored' || customerId) {
      await tx
        .update(stripeEvents)
        .set({ status: outcome, customerId: customerId ?? null })
        .where(eq(stripeEvents.id, event.id))
    }
    if (outcome === 'processed') changedCustomer = customerId
    return outcome
  })
  if (changedCustomer) deps.changed?.(changedCustomer)
  return outcome
}

function unexpectedShape(event: Stripe.Event, error: ZodError) {
  const where = error.issues.map((i) => i.path.join('.')).join(', ')
  return new Unreadable(`Event ${event.id} (${event.type}) has an unexpected shape at: ${where}`)
}

async function effectOf(deps: EventDeps, event: Stripe.Event, stateAt: Date): Promise<Effect | undefined> {
  const object: unknown = event.data.object
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return checkoutEffect(deps, object, stateAt)
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      // A deleted subscription's object is its final state: stored like any other, so an older
      // `created` or `updated` that arrives later cannot bring it back.
      const snapshot = parseSubscription(object)
      return (tx) => applySubscriptionAndReactivate(tx, snapshot, stateAt)
    }
    case 'invoice.paid':
      return invoicePaidEffect(deps, object, stateAt)
    case 'invoice.payment_failed': {
      const subscriptionId = invoiceSubscriptionId(object)
      if (!subscriptionId) return undefined
      return (tx) => paymentFailed(tx, subscriptionId, stateAt)
    }
    default:
      return undefined
  }
}

async function checkoutEffect(deps: EventDeps, object: unknown, stateAt: Date): Promise<Effect | undefined> {
  const session = parseCheckoutSession(object)
  if (session.mode === 'subscription' && session.subscription) {
    const snapshot = parseSubscription(await deps.stripe().subscriptions.retrieve(session.subscription))
    return (tx) => applySubscriptionAndReactivate(tx, snapshot, stateAt, session.customerId)
  }
  const isPaidTopUp =
    session.mode === 'payment' && session.metadata?.kind === TOP_UP_KIND && session.payment_status === 'paid'
  if (!isPaidTopUp) return undefined
  const amount = paidTopUpCents(session)
  if (amount === null) return undefined
  return async (tx) => {
    const customer = await resolveCustomer(tx, session.customerId, session.customer ?? undefined)
    if (!customer) return { outcome: 'ignored' }
    await addPrepaidCredit(tx, customer.id, amount, { kind: 'top_up', stripeCheckoutSessionId: session.id })
    return { outcome: 'processed', customerId: customer.id }
  }
}

async function applySubscriptionAndReactivate(
  tx: Executor,
  snapshot: SubscriptionSnapshot,
  stateAt: Date,
  customerHint?: string,
): Promise<Applied> {
  const customerId = await applySubscriptionSnapshot(tx, snapshot, stateAt, customerHint)
  if (!customerId) return { outcome: 'ignored' }
  await reactivateAgentsIfBillingAllows(tx, customerId)
  return { outcome: 'processed', customerId }
}

async function invoicePaidEffect(deps: EventDeps, object: unknown, stateAt: Date): Promise<Effect | undefined> {
  const subscriptionId = invoiceSubscriptionId(object)
  if (!subscriptionId) return undefined
  // The invoice says little about the new period; the subscription as it is now says it all.
  const current: SubscriptionSnapshot = parseSubscription(await deps.stripe().subscriptions.retrieve(subscriptionId))
  return async (tx) => {
    const customerId = await applySubscriptionSnapshot(tx, current, stateAt)
    if (!customerId) return { outcome: 'ignored' }
    if (current.status === 'active' || current.status === 'trialing') await endGracePeriod(tx, customerId)
    await reactivateAgentsIfBillingAllows(tx, customerId)
    return { outcome: 'processed', customerId }
  }
}

async function paymentFailed(tx: Executor, subscriptionId: string, stateAt: Date): Promise<Applied> {
  const stored = await tx.query.subscriptions.findFirst({
    where: (s, { eq }) => eq(s.stripeSubscriptionId, subscriptionId),
    columns: { customerId: true },
  })
  // Before the subscription's own event: applying nothing and recording nothing lets Stripe retry.
  if (!stored) throw new EventNotApplicableYet(`Subscription ${subscriptionId}`)
  const row = await markPastDue(tx, subscriptionId, stateAt)
  if (!row) return { outcome: 'ignored', customerId: stored.customerId }
  if (row.status !== 'past_due' && row.status !== 'unpaid') return { outcome: 'processed', customerId: row.customerId }
  const customer = await tx.query.customers.findFirst({
    where: (c, { eq }) => eq(c.id, row.customerId),
    columns: { gracePeriodEndsAt: true },
  })
  if (customer && !customer.gracePeriodEndsAt) await enterGracePeriod(tx, row.customerId)
  return { outcome: 'processed', customerId: row.customerId }
}
