import { and, asc, eq, isNull, lte } from 'drizzle-orm'
import { customers, subscriptions } from '../db/schema'
import { trialExpiredNotification } from '../notifications/messages'
import { deliverPending, enqueueNotification } from '../notifications/outbox'
import { JOB_BATCH_SIZE, type JobContext } from './context'

/**
 * Trials past `trial_ends_at` become `expired` and the customer is told. Only the hub's own trials:
 * a trial Stripe runs ends in Stripe, and its webhook says what it became.
 */
export async function runTrialExpiry({ db, config, logger, sender, edge, now }: JobContext) {
  const ended = await db
    .select({
      id: subscriptions.id,
      trialEndsAt: subscriptions.trialEndsAt,
      customerId: customers.id,
      name: customers.name,
      email: customers.email,
    })
    .from(subscriptions)
    .innerJoin(customers, eq(customers.id, subscriptions.customerId))
    .where(
      and(
        eq(subscriptions.status, 'trialing'),
        lte(subscriptions.trialEndsAt, now),
        isNull(subscriptions.stripeSubscriptionId),
      ),
    )
    .orderBy(asc(subscriptions.trialEndsAt))
    .limit(JOB_BATCH_SIZE)

  let expired = 0
  for (const trial of ended) {
    if (!trial.trialEndsAt) continue
    const trialEndsAt = trial.trialEndsAt
    await db.transaction(async (tx) => {
      const changed = await tx
        .update(subscriptions)
        .set({ status: 'expired' })
        .where(and(eq(subscriptions.id, trial.id), eq(subscriptions.status, 'trialing')))
        .returning({ id: subscriptions.id })
      if (changed.length === 0) return
      await enqueueNotification(
        tx,
        trialExpiredNotification(
          { id: trial.customerId, name: trial.name, email: trial.email },
          trial.id,
          trialEndsAt,
          config.APP_ORIGIN,
        ),
      )
      expired++
    })
    edge.changed(trial.customerId)
  }
  const delivered = await deliverPending(db, sender, logger)
  logger.info('trial expiry', { expired, ...delivered })
  return { expired }
}
