import { and, asc, eq, isNotNull, lte } from 'drizzle-orm'
import { readBillingSnapshot } from '../billing/rules/billing-snapshot'
import { decideCanRespond } from '../billing/rules/can-respond'
import { lockCustomer } from '../billing/rules/customer-lock'
import type { Executor } from '../db/client'
import { agentInstances, customers } from '../db/schema'
import { graceExpiredNotification } from '../notifications/messages'
import { deliverPending, enqueueNotification } from '../notifications/outbox'
import { JOB_BATCH_SIZE, type JobContext } from './context'

/**
 * Customers whose grace period has ended: those still over their limits or unpaid get their agents
 * disabled (`disabled_reason = 'grace_expired'`) and a notification; everyone's grace is cleared.
 * A second run for the same time finds nothing left to do.
 */
export async function runGraceExpiry({ db, config, logger, sender, edge, now }: JobContext) {
  const due = await db
    .select({ id: customers.id })
    .from(customers)
    .where(lte(customers.gracePeriodEndsAt, now))
    .orderBy(asc(customers.gracePeriodEndsAt))
    .limit(JOB_BATCH_SIZE)

  let disabledCustomers = 0
  for (const { id } of due) {
    const disabled = await db.transaction((tx) => expireGrace(tx, id, now, config.APP_ORIGIN))
    edge.changed(id)
    if (disabled) disabledCustomers++
  }
  const delivered = await deliverPending(db, sender, logger)
  logger.info('grace expiry', { expired: due.length, disabled_customers: disabledCustomers, ...delivered })
  return { expired: due.length, disabledCustomers }
}

/**
 * Ends one customer's grace period and decides, under the customer's row lock, whether billing still
 * blocks them: a top-up or payment that committed first is seen here, one that waits for the lock
 * switches the agents back on itself. Returns true when agents were switched off.
 */
async function expireGrace(tx: Executor, customerId: string, now: Date, origin: string | undefined): Promise<boolean> {
  if (!(await lockCustomer(tx, customerId))) return false
  // Only if the grace that ended is still the customer's (no newer one started, nobody cleared it).
  const [ended] = await tx
    .select({
      id: customers.id,
      name: customers.name,
      email: customers.email,
      graceEndedAt: customers.gracePeriodEndsAt,
    })
    .from(customers)
    .where(
      and(eq(customers.id, customerId), isNotNull(customers.gracePeriodEndsAt), lte(customers.gracePeriodEndsAt, now)),
    )
  if (!ended?.graceEndedAt) return false
  await tx.update(customers).set({ gracePeriodEndsAt: null }).where(eq(customers.id, customerId))
  const snapshot = await readBillingSnapshot(tx, customerId)
  if (!snapshot || decideCanRespond(snapshot, now).allowed) return false
  await tx
    .update(agentInstances)
    .set({ isActive: false, disabledReason: 'grace_expired' })
    .where(and(eq(agentInstances.customerId, customerId), eq(agentInstances.isActive, true)))
  await enqueueNotification(tx, graceExpiredNotification(ended, ended.graceEndedAt, origin))
  return true
}
