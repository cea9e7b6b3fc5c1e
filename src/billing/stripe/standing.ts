import { and, eq, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { agentInstances, customers, extraUsageBalances } from '../../db/schema'

/** After a payment: grace over, and the agents billing switched off are on again (not those the customer switched off). */
export async function restoreGoodStanding(db: Executor, customerId: string) {
  await db.update(customers).set({ gracePeriodEndsAt: null }).where(eq(customers.id, customerId))
  await db
    .update(agentInstances)
    .set({ isActive: true, disabledReason: null })
    .where(and(eq(agentInstances.customerId, customerId), eq(agentInstances.disabledReason, 'grace_expired')))
}

/** Adds a paid top-up to the customer's prepaid extra-usage balance. */
export async function creditExtraBalance(db: Executor, customerId: string, cents: number) {
  await db
    .insert(extraUsageBalances)
    .values({ customerId, balanceCents: cents })
    .onConflictDoUpdate({
      target: extraUsageBalances.customerId,
      set: { balanceCents: sql`${extraUsageBalances.balanceCents} + ${cents}` },
    })
}
