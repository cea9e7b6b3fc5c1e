import { eq } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { customers } from '../../db/schema'

/** A payment went through: the grace period (of a failed payment or of a reached limit) is over. */
export async function endGracePeriod(db: Executor, customerId: string) {
  await db.update(customers).set({ gracePeriodEndsAt: null }).where(eq(customers.id, customerId))
}
