import { sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { extraUsageBalances } from '../../db/schema'
import { reactivateAgentsIfBillingAllows } from './agent-reactivation'
import { lockCustomer } from './customer-lock'

/**
 * Adds prepaid credit (a paid top-up, or an operator's credit) to the customer's extra-usage balance,
 * then applies the re-enable rule: agents billing switched off come back if the balance lets the
 * customer respond again. Run inside a transaction. Returns the agents switched back on.
 */
export async function addPrepaidCredit(tx: Executor, customerId: string, cents: number, now: Date = new Date()) {
  if (!Number.isInteger(cents) || cents <= 0) throw new RangeError('A credit is a positive whole number of cents')
  await lockCustomer(tx, customerId)
  await tx
    .insert(extraUsageBalances)
    .values({ customerId, balanceCents: cents })
    .onConflictDoUpdate({
      target: extraUsageBalances.customerId,
      set: { balanceCents: sql`${extraUsageBalances.balanceCents} + ${cents}` },
    })
  return reactivateAgentsIfBillingAllows(tx, customerId, now)
}
