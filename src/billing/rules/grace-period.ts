import { sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { getBillingSettings } from './settings'
import { uuidList } from './sql-lists'

const HOUR_MS = 3_600_000

/**
 * Starts a grace period of `hours` for each customer that has none running; a running one is kept
 * as it is. Returns every given customer's grace end. One statement for any number of customers.
 */
export async function enterGracePeriods(
  db: Executor,
  customerIds: readonly string[],
  hours: number,
  now: Date = new Date(),
): Promise<Map<string, Date>> {
  if (customerIds.length === 0) return new Map()
  const endsAt = new Date(now.getTime() + hours * HOUR_MS)
  const { rows } = await db.execute<{ id: string; ends_at: number }>(sql`
    WITH started AS (
      UPDATE customers SET grace_period_ends_at = ${endsAt.toISOString()}::timestamptz, updated_at = now()
      WHERE id IN (${uuidList(customerIds)})
        AND (grace_period_ends_at IS NULL OR grace_period_ends_at <= ${now.toISOString()}::timestamptz)
      RETURNING id, grace_period_ends_at
    )
    SELECT c.id, (extract(epoch FROM coalesce(st.grace_period_ends_at, c.grace_period_ends_at)) * 1000)::float8 AS ends_at
    FROM customers c LEFT JOIN started st ON st.id = c.id
    WHERE c.id IN (${uuidList(customerIds)})`)
  return new Map(rows.map((r) => [r.id, new Date(Number(r.ends_at))]))
}

/**
 * Puts the customer in a grace period (length: `grace_period_hours` from billing settings) unless one
 * is running. Returns when it ends, or null for an unknown customer.
 */
export async function enterGracePeriod(db: Executor, customerId: string, now: Date = new Date()) {
  const { grace_period_hours } = await getBillingSettings(db)
  const ends = await enterGracePeriods(db, [customerId], grace_period_hours, now)
  return ends.get(customerId) ?? null
}
