import { desc, eq } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { balanceLedger } from '../db/schema'

export type LedgerEntry = typeof balanceLedger.$inferSelect

/** The latest balance ledger entries of a customer, newest first (billing page, `ops customer`). */
export function recentLedgerEntries(db: Executor, customerId: string, limit = 10): Promise<LedgerEntry[]> {
  return db
    .select()
    .from(balanceLedger)
    .where(eq(balanceLedger.customerId, customerId))
    .orderBy(desc(balanceLedger.createdAt), desc(balanceLedger.id))
    .limit(limit)
}

export const LEDGER_LABELS: Record<LedgerEntry['kind'], string> = {
  opening_balance: 'Opening balance',
  top_up: 'Top-up',
  overage_charge: 'Overage charge',
  operator_credit: 'Credit from support',
}
