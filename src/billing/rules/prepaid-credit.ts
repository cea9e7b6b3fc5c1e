import { sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { balanceLedger, extraUsageBalances } from '../../db/schema'
import { reactivateAgentsIfBillingAllows } from './agent-reactivation'
import { lockCustomer } from './customer-lock'

/** Where prepaid credit came from: recorded on its ledger row. */
export type CreditSource =
  | { kind: 'top_up'; stripeCheckoutSessionId: string }
  | { kind: 'operator_credit'; operatorActionId: string }

/**
 * Adds prepaid credit (a paid top-up, or an operator's credit) to the customer's extra-usage balance
 * and writes its ledger row, then applies the re-enable rule: agents billing switched off come back if
 * the balance lets the customer respond again. Run inside a transaction. Returns the agents switched back on.
 */
export async function addPrepaidCredit(
  tx: Executor,
  customerId: string,
  cents: number,
  source: CreditSource,
  now: Date = new Date(),
) {
  if (!Number.isInteger(cents) || cents <= 0) throw new RangeError('A credit is a positive whole number of cents')
  await lockCustomer(tx, customerId)
  const [balance] = await tx
    .insert(extraUsageBalances)
    .values({ customerId, balanceCents: cents })
    .onConflictDoUpdate({
      target: extraUsageBalances.customerId,
      set: { balanceCents: sql`${extraUsageBalances.balanceCents} + ${cents}` },
    })
    .returning({ balanceCents: extraUsageBalances.balanceCents })
  await tx.insert(balanceLedger).values({
    customerId,
    kind: source.kind,
    amountCents: cents,
    balanceAfterCents: balance?.balanceCents ?? cents,
    stripeCheckoutSessionId: source.kind === 'top_up' ? source.stripeCheckoutSessionId : null,
    operatorActionId: source.kind === 'operator_credit' ? source.operatorActionId : null,
  })
  return reactivateAgentsIfBillingAllows(tx, customerId, now)
}
