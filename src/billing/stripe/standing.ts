import { eq, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { customers, extraUsageBalances } from '../../db/schema'

/** A payment went through: the grace period (of a failed payment or of a reached limit) is over. */
export async function endGracePeriod(db: Executor, customerId: string) {
  await db.update(customers).set({ gracePeriodEndsAt: null }).where(eq(customers.id, customerId))
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
