import { sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
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
  // The balance and its ledger row in one statement.
  await tx.execute(sql`
    WITH credited AS (
      INSERT INTO extra_usage_balances (customer_id, balance_cents) VALUES (${customerId}::uuid, ${cents})
      ON CONFLICT (customer_id) DO UPDATE
        SET balance_cents = extra_usage_balances.balance_cents + excluded.balance_cents, updated_at = now()
      RETURNING balance_cents
    )
    INSERT INTO balance_ledger (customer_id, kind, amount_cents, balance_after_cents, stripe_checkout_session_id, operator_action_id)
    SELECT ${customerId}::uuid, ${source.kind}, ${cents}, balance_cents,
      ${source.kind === 'top_up' ? source.stripeCheckoutSessionId : null},
      ${source.kind === 'operator_credit' ? source.operatorActionId : null}::uuid
    FROM credited`)
  return reactivateAgentsIfBillingAllows(tx, customerId, now)
}
