import { and, eq, isNotNull, lte, sql } from 'drizzle-orm'
import { z } from 'zod'
import {
  billingSnapshotColumns,
  billingSnapshotJoins,
  billingSnapshotRow,
  toBillingSnapshot,
} from '../billing/rules/billing-snapshot'
import { decideCanRespond } from '../billing/rules/can-respond'
import { agentInstances, customers } from '../db/schema'
import { graceExpiredNotification } from '../notifications/messages'
import { deliverPending, enqueueNotification } from '../notifications/outbox'
import { JOB_BATCH_SIZE, type JobContext } from './context'

const candidateRow = billingSnapshotRow.extend({
  customer_id: z.string(),
  customer_name: z.string(),
  customer_email: z.string(),
})

/**
 * Customers whose grace period has ended: those still over their limits or unpaid get their agents
 * disabled (`disabled_reason = 'grace_expired'`) and a notification; everyone's grace is cleared.
 * A second run for the same time finds nothing left to do.
 */
export async function runGraceExpiry({ db, config, logger, sender, now }: JobContext) {
  const { rows } = await db.execute(sql`
    SELECT a.customer_id, c.name AS customer_name, c.email AS customer_email, ${billingSnapshotColumns}
    FROM (
      SELECT id AS customer_id FROM customers
      WHERE grace_period_ends_at <= ${now.toISOString()}::timestamptz
      ORDER BY grace_period_ends_at
      LIMIT ${JOB_BATCH_SIZE}
    ) a
    ${billingSnapshotJoins}`)

  let disabledCustomers = 0
  for (const raw of rows) {
    const row = candidateRow.parse(raw)
    const graceEndedAt = row.grace_period_ends_at
    if (!graceEndedAt) continue
    const stillBlocked = !decideCanRespond(toBillingSnapshot(row), now).allowed
    await db.transaction(async (tx) => {
      // Only if the grace that ended is still the customer's (no newer one started meanwhile).
      const cleared = await tx
        .update(customers)
        .set({ gracePeriodEndsAt: null })
        .where(
          and(
            eq(customers.id, row.customer_id),
            isNotNull(customers.gracePeriodEndsAt),
            lte(customers.gracePeriodEndsAt, now),
          ),
        )
        .returning({ id: customers.id })
      if (cleared.length === 0 || !stillBlocked) return
      await tx
        .update(agentInstances)
        .set({ isActive: false, disabledReason: 'grace_expired' })
        .where(and(eq(agentInstances.customerId, row.customer_id), eq(agentInstances.isActive, true)))
      await enqueueNotification(
        tx,
        graceExpiredNotification(
          { id: row.customer_id, name: row.customer_name, email: row.customer_email },
          graceEndedAt,
          config.APP_ORIGIN,
        ),
      )
      disabledCustomers++
    })
  }
  const delivered = await deliverPending(db, sender, logger)
  logger.info('grace expiry', { expired: rows.length, disabled_customers: disabledCustomers, ...delivered })
  return { expired: rows.length, disabledCustomers }
}
