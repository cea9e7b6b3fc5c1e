import { and, eq, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { customers, plans, type SubscriptionStatus, subscriptions } from '../../db/schema'
import { Unavailable } from '../../errors'
import type { SubscriptionSnapshot } from './objects'

/** Statuses of a subscription that no longer bills; another subscription may take its place. */
const ENDED: readonly SubscriptionStatus[] = ['canceled', 'expired', 'incomplete_expired']

/** Never let a state older than the stored one overwrite it (events arrive in any order). */
const notOlderThanStored = (stateAt: Date): SQL =>
  or(isNull(subscriptions.stripeStateAt), sql`${subscriptions.stripeStateAt} <= ${stateAt.toISOString()}`) as SQL

export class UnknownPriceError extends Error {
  constructor(priceId: string | undefined) {
    super(`No plan has the Stripe price ${priceId ?? '(none)'}; add it to a plan and Stripe will retry.`)
  }
}

/** An event that cannot be applied yet (what it changes is not stored yet): answer 503 so Stripe retries it. */
export class EventNotApplicableYet extends Unavailable {
  constructor(what: string) {
    super(`${what} is not known here yet; Stripe will retry this event.`)
  }
}

/**
 * Our customer for a Stripe object: by the id we put in metadata, else by the Stripe customer id.
 * Locks the customer row first (lock order: src/billing/rules/customer-lock.ts): call it in the
 * event's transaction before touching the customer's subscription, balance or agents.
 */
export async function resolveCustomer(db: Executor, hint: string | undefined, stripeCustomerId: string | undefined) {
  const lockedWhere = async (where: SQL) => (await db.select().from(customers).where(where).limit(1).for('update'))[0]
  const byHint = hint ? await lockedWhere(eq(customers.id, hint)) : undefined
  if (byHint) {
    if (!byHint.stripeCustomerId && stripeCustomerId) {
      await db.update(customers).set({ stripeCustomerId }).where(eq(customers.id, byHint.id))
    }
    return byHint
  }
  if (!stripeCustomerId) return undefined
  return lockedWhere(eq(customers.stripeCustomerId, stripeCustomerId))
}

/** Locks the customer of a Stripe subscription before its subscription row is changed (lock order). */
async function lockSubscriptionCustomer(db: Executor, stripeSubscriptionId: string) {
  await db.execute(sql`
    SELECT c.id FROM customers c JOIN subscriptions s ON s.customer_id = c.id
    WHERE s.stripe_subscription_id = ${stripeSubscriptionId}
    FOR UPDATE OF c`)
}

/**
 * Upserts the customer's one subscription row from a Stripe subscription as it was at `stateAt`.
 * An older state than the stored one, or an ended subscription that is not the stored one, changes nothing.
 * Returns the customer's id, or null when the subscription belongs to no customer of ours.
 */
export async function applySubscriptionSnapshot(
  db: Executor,
  snapshot: SubscriptionSnapshot,
  stateAt: Date,
  customerHint?: string,
): Promise<string | null> {
  const customer = await resolveCustomer(db, snapshot.customerId ?? customerHint, snapshot.stripeCustomerId)
  if (!customer) return null
  const plan = snapshot.priceId
    ? await db.query.plans.findFirst({ where: eq(plans.stripePriceId, snapshot.priceId) })
    : undefined
  if (!plan) throw new UnknownPriceError(snapshot.priceId)

  const values = {
    customerId: customer.id,
    planId: plan.id,
    stripeSubscriptionId: snapshot.stripeSubscriptionId,
    status: snapshot.status,
    currentPeriodStart: snapshot.periodStart,
    currentPeriodEnd: snapshot.periodEnd,
    trialEndsAt: snapshot.trialEndsAt,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    stripeStateAt: stateAt,
  }
  const incomingEnded = ENDED.includes(snapshot.status)
  const sameOrReplaceable = or(
    isNull(subscriptions.stripeSubscriptionId),
    eq(subscriptions.stripeSubscriptionId, snapshot.stripeSubscriptionId),
    incomingEnded ? sql`false` : sql`true`,
    sql`${subscriptions.status} IN (${sql.join(
      ENDED.map((s) => sql`${s}`),
      sql`, `,
    )})`,
  )
  const { customerId: _customerId, ...update } = values
  await db
    .insert(subscriptions)
    .values(values)
    .onConflictDoUpdate({
      target: subscriptions.customerId,
      set: update,
      setWhere: and(notOlderThanStored(stateAt), sameOrReplaceable),
    })
  return customer.id
}

/** `invoice.payment_failed`: past due, unless a newer state (say, a later payment) is already stored. */
export async function markPastDue(db: Executor, stripeSubscriptionId: string, stateAt: Date) {
  await lockSubscriptionCustomer(db, stripeSubscriptionId)
  await db
    .update(subscriptions)
    .set({ status: 'past_due', stripeStateAt: stateAt })
    .where(
      and(
        eq(subscriptions.stripeSubscriptionId, stripeSubscriptionId),
        notOlderThanStored(stateAt),
        sql`${subscriptions.status} NOT IN ('canceled', 'expired', 'incomplete_expired')`,
      ),
    )
  return db.query.subscriptions.findFirst({ where: eq(subscriptions.stripeSubscriptionId, stripeSubscriptionId) })
}
