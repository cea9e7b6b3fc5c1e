import { and, eq, inArray } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { agentInstances } from '../../db/schema'
import { readBillingSnapshot } from './billing-snapshot'
import { decideCanRespond } from './can-respond'
import { lockCustomer } from './customer-lock'

/** Reasons for which billing switched an agent off; billing switches back on only these, never `manual`. */
export const BILLING_DISABLED_REASONS = ['grace_expired', 'trial_expired'] as const

export const isBillingDisabledReason = (reason: string | null): boolean =>
  reason !== null && (BILLING_DISABLED_REASONS as readonly string[]).includes(reason)

/**
 * The one rule after any billing change (top-up, paid invoice, plan change, operator credit, resume):
 * the agents billing switched off come back on exactly when can-respond allows the customer again.
 * Takes the customer's row lock, so it decides on the state it changes. Returns the agents switched on.
 */
export async function reactivateAgentsIfBillingAllows(
  tx: Executor,
  customerId: string,
  now: Date = new Date(),
): Promise<string[]> {
  if (!(await lockCustomer(tx, customerId))) return []
  const snapshot = await readBillingSnapshot(tx, customerId)
  if (!snapshot || !decideCanRespond(snapshot, now).allowed) return []
  const switchedOn = await tx
    .update(agentInstances)
    .set({ isActive: true, disabledReason: null })
    .where(
      and(
        eq(agentInstances.customerId, customerId),
        eq(agentInstances.isActive, false),
        inArray(agentInstances.disabledReason, [...BILLING_DISABLED_REASONS]),
      ),
    )
    .returning({ id: agentInstances.id })
  return switchedOn.map((a) => a.id)
}
