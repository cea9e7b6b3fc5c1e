import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { billingSnapshotQuery, readBillingSnapshot } from '../../../src/billing/rules/billing-snapshot'
import { extraUsageBalances } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'

describe('billingSnapshotQuery', () => {
  it('takes its customer from the expression it is given, whatever the caller calls its tables', async () => {
    const { db } = testDb()
    const f = factories(db)
    const [first, second] = [await f.customer(), await f.customer()]
    await db.insert(extraUsageBalances).values([
      { customerId: first.id, balanceCents: 300 },
      { customerId: second.id, balanceCents: 700 },
    ])
    // `c`, `s`, `p`, `b`, `u` and `r` are the names a caller is most likely to use for its own tables.
    const { rows } = await db.execute<{ id: string; balance_cents: number }>(sql`
      SELECT c.id, snapshot.balance_cents
      FROM customers c
      CROSS JOIN LATERAL (${billingSnapshotQuery(sql`c.id`)}) snapshot
      WHERE c.id IN (${first.id}::uuid, ${second.id}::uuid)
      ORDER BY snapshot.balance_cents`)
    expect(rows).toEqual([
      { id: first.id, balance_cents: 300 },
      { id: second.id, balance_cents: 700 },
    ])
  })

  it('reads one customer by id, and nothing for an unknown one', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    expect(await readBillingSnapshot(db, customer.id)).toMatchObject({ customerActive: true, subscription: null })
    expect(await readBillingSnapshot(db, crypto.randomUUID())).toBeNull()
  })
})
