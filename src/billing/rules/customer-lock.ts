import { sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'

/**
 * Every transaction that changes a customer's billing state (usage ingest, Stripe events, top-ups,
 * credits, grace expiry, suspension) takes the customer's row lock first, before touching
 * subscriptions, balances or agents. One lock order everywhere means these paths queue behind each
 * other instead of deadlocking, and each one decides on the state it is about to change.
 *
 * Lock order: customers (several in id order) → subscriptions → extra_usage_balances → usage rows →
 * agent_instances. Usage ingest, every Stripe event effect (`resolveCustomer`, `paymentFailed`), top-ups
 * and credits (`addPrepaidCredit`), the re-enable rule and grace expiry follow it, so work on one
 * customer queues instead of deadlocking (40P01); test/races/ runs them against each other on a real
 * PostgreSQL. Returns false for an unknown customer.
 */
export async function lockCustomer(tx: Executor, customerId: string): Promise<boolean> {
  const { rows } = await tx.execute(sql`SELECT id FROM customers WHERE id = ${customerId}::uuid FOR UPDATE`)
  return rows.length > 0
}
