// Edge state versions (migration 0011): which writes raise which customers' versions, and when.
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/client'
import { readEdgeStateVersion } from '../../src/db/edge-state-version'
import * as s from '../../src/db/schema'
import { testDb } from '../support/db'
import { type Factories, factories } from '../support/factories'

async function versionOf(db: Database, customerId: string): Promise<number> {
  const version = await readEdgeStateVersion(db, customerId)
  if (version === null) throw new Error(`customer ${customerId} has no edge state version`)
  return version
}

/** How much `work` raised each customer's version. */
async function bumpsOf(db: Database, customerIds: string[], work: () => Promise<unknown>): Promise<number[]> {
  const before = await Promise.all(customerIds.map((id) => versionOf(db, id)))
  await work()
  const after = await Promise.all(customerIds.map((id) => versionOf(db, id)))
  return after.map((v, i) => v - before[i]!)
}

/** Two customers: the one a row belongs to, and one nothing here touches. */
async function ownerAndBystander(f: Factories) {
  return { owner: await f.customer(), bystander: await f.customer() }
}

interface OwnedTableCase {
  table: string
  /** Creates what the row needs (before anything is measured), then returns how to create the row. */
  prepare(f: Factories, customerId: string): Promise<() => Promise<{ id: string }>>
  /** An UPDATE's SET list that changes the row. */
  change: string
}

const OWNED_TABLES: OwnedTableCase[] = [
  {
    table: 'subscriptions',
    prepare: async (f, customerId) => {
      const plan = await f.plan()
      return () => f.subscription({ customerId, planId: plan.id })
    },
    change: `status = 'past_due'`,
  },
  {
    table: 'extra_usage_balances',
    prepare: async (f, customerId) => () => f.extraUsageBalance({ customerId }),
    change: 'balance_cents = balance_cents + 100',
  },
  {
    table: 'usage_records',
    prepare: async (f, customerId) => {
      const agent = await f.agentInstance({ customerId })
      return () => f.usageRecord({ customerId, agentInstanceId: agent.id })
    },
    change: 'messages = messages + 1',
  },
  {
    table: 'agent_instances',
    prepare: async (f, customerId) => {
      const type = await f.agentType()
      return () => f.agentInstance({ customerId, agentTypeId: type.id })
    },
    change: `is_active = false, disabled_reason = 'manual'`,
  },
  {
    table: 'knowledge_bases',
    prepare: async (f, customerId) => () => f.knowledgeBase({ customerId }),
    change: `name = name || ' (renamed)'`,
  },
]

describe('edge state versions', () => {
  it('a new customer starts at version 1; an unknown one has none', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    expect(await readEdgeStateVersion(db, customer.id)).toBe(1)
    expect(await readEdgeStateVersion(db, crypto.randomUUID())).toBeNull()
  })

  it('customers: a change bumps that customer only; an update that changes nothing does not; a delete removes the row', async () => {
    const { db } = testDb()
    const { owner, bystander } = await ownerAndBystander(factories(db))
    const ids = [owner.id, bystander.id]
    const update = (set: string) => db.execute(sql`UPDATE customers SET ${sql.raw(set)} WHERE id = ${owner.id}::uuid`)
    expect(await bumpsOf(db, ids, () => update('is_active = false'))).toEqual([1, 0])
    expect(await bumpsOf(db, ids, () => update(`grace_period_ends_at = now() + interval '1 day'`))).toEqual([1, 0])
    expect(await bumpsOf(db, ids, () => update(`name = 'Renamed Inc'`))).toEqual([1, 0])
    // The same values again, with the updated_at drizzle sets on every update.
    expect(await bumpsOf(db, ids, () => update(`name = 'Renamed Inc', updated_at = now()`))).toEqual([0, 0])
    expect(await bumpsOf(db, ids, () => update('name = name'))).toEqual([0, 0])

    await db.delete(s.customers).where(eq(s.customers.id, owner.id))
    expect(await readEdgeStateVersion(db, owner.id)).toBeNull()
    expect(await readEdgeStateVersion(db, bystander.id)).toBe(1)
  })

  describe.each(OWNED_TABLES)('$table', ({ table, prepare, change }) => {
    it('insert, update and delete bump the owner only; an update that changes nothing does not', async () => {
      const { db } = testDb()
      const f = factories(db)
      const { owner, bystander } = await ownerAndBystander(f)
      const ids = [owner.id, bystander.id]
      const create = await prepare(f, owner.id)
      const t = sql.identifier(table)

      let row: { id: string } | undefined
      expect(
        await bumpsOf(db, ids, async () => {
          row = await create()
        }),
      ).toEqual([1, 0])
      const id = row!.id
      expect(
        await bumpsOf(db, ids, () => db.execute(sql`UPDATE ${t} SET ${sql.raw(change)} WHERE id = ${id}::uuid`)),
      ).toEqual([1, 0])
      expect(
        await bumpsOf(db, ids, () => db.execute(sql`UPDATE ${t} SET updated_at = now() WHERE id = ${id}::uuid`)),
      ).toEqual([0, 0])
      expect(await bumpsOf(db, ids, () => db.execute(sql`DELETE FROM ${t} WHERE id = ${id}::uuid`))).toEqual([1, 0])
    })
  })

  it('a row moved to another customer bumps both', async () => {
    const { db } = testDb()
    const f = factories(db)
    const [from, to, bystander] = [await f.customer(), await f.customer(), await f.customer()]
    const agent = await f.agentInstance({ customerId: from.id })
    expect(
      await bumpsOf(db, [from.id, to.id, bystander.id], () =>
        db.update(s.agentInstances).set({ customerId: to.id }).where(eq(s.agentInstances.id, agent.id)),
      ),
    ).toEqual([1, 1, 0])
  })

  it('a plan change bumps every customer subscribed to it, and nobody else', async () => {
    const { db } = testDb()
    const f = factories(db)
    const plan = await f.plan()
    const subscribers = [await f.customer(), await f.customer()]
    for (const c of subscribers) await f.subscription({ customerId: c.id, planId: plan.id })
    const other = await f.customer()
    await f.subscription({ customerId: other.id })
    const ids = [...subscribers.map((c) => c.id), other.id]
    const setPlan = (values: Partial<typeof s.plans.$inferInsert>) =>
      db.update(s.plans).set(values).where(eq(s.plans.id, plan.id))

    expect(await bumpsOf(db, ids, () => setPlan({ limits: { messages: 5 } }))).toEqual([1, 1, 0])
    expect(await bumpsOf(db, ids, () => setPlan({ slug: `${plan.slug}-renamed` }))).toEqual([1, 1, 0])
    expect(await bumpsOf(db, ids, () => setPlan({ limits: { messages: 5 }, updatedAt: new Date() }))).toEqual([0, 0, 0])
  })

  it('an agent type change bumps every customer with an agent of that type, once each', async () => {
    const { db } = testDb()
    const f = factories(db)
    const type = await f.agentType()
    const [a, b, other] = [await f.customer(), await f.customer(), await f.customer()]
    await f.agentInstance({ customerId: a.id, agentTypeId: type.id })
    await f.agentInstance({ customerId: a.id, agentTypeId: type.id })
    await f.agentInstance({ customerId: b.id, agentTypeId: type.id })
    await f.agentInstance({ customerId: other.id })
    const ids = [a.id, b.id, other.id]
    const setType = (values: Partial<typeof s.agentTypes.$inferInsert>) =>
      db.update(s.agentTypes).set(values).where(eq(s.agentTypes.id, type.id))

    expect(await bumpsOf(db, ids, () => setType({ systemPromptTemplate: 'You are {agent_name}.' }))).toEqual([1, 1, 0])
    expect(await bumpsOf(db, ids, () => setType({ onboardingSchema: { knowledge_base: { enabled: false } } }))).toEqual(
      [1, 1, 0],
    )
    expect(await bumpsOf(db, ids, () => setType({ slug: `${type.slug}-renamed` }))).toEqual([1, 1, 0])
    expect(await bumpsOf(db, ids, () => setType({ systemPromptTemplate: 'You are {agent_name}.' }))).toEqual([0, 0, 0])
  })

  it('billing_periods is not part of the snapshot: writing it bumps nothing', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    await f.subscription({ customerId: customer.id })
    expect(
      await bumpsOf(db, [customer.id], () =>
        db.execute(sql`UPDATE billing_periods SET status = 'past_due' WHERE customer_id = ${customer.id}::uuid`),
      ),
    ).toEqual([0])
  })

  it('bumps at commit, once per customer per transaction, whatever the transaction wrote', async () => {
    const { db } = testDb()
    const f = factories(db)
    const [a, b, bystander] = [await f.customer(), await f.customer(), await f.customer()]
    const agentA = await f.agentInstance({ customerId: a.id })
    const agentB = await f.agentInstance({ customerId: b.id })
    await f.extraUsageBalance({ customerId: a.id })
    const ids = [a.id, b.id, bystander.id]
    const before = await Promise.all(ids.map((id) => versionOf(db, id)))

    const inside = await db.transaction(async (tx) => {
      await tx.update(s.agentInstances).set({ name: 'renamed' }).where(eq(s.agentInstances.id, agentA.id))
      await tx.update(s.extraUsageBalances).set({ balanceCents: 700 }).where(eq(s.extraUsageBalances.customerId, a.id))
      await factories(tx).usageRecord({ customerId: a.id, agentInstanceId: agentA.id })
      await tx.update(s.agentInstances).set({ name: 'renamed' }).where(eq(s.agentInstances.id, agentB.id))
      await tx.update(s.customers).set({ name: 'Renamed' }).where(eq(s.customers.id, a.id))
      // Nothing is bumped before the commit: the version rows are not even locked yet.
      return Promise.all(ids.map((id) => readEdgeStateVersion(tx, id)))
    })
    expect(inside).toEqual(before)
    const after = await Promise.all(ids.map((id) => versionOf(db, id)))
    expect(after.map((v, i) => v - before[i]!)).toEqual([1, 1, 0])
  })

  it('a rolled-back transaction bumps nothing, nor does a rolled-back savepoint', async () => {
    const { db } = testDb()
    const f = factories(db)
    const [a, b] = [await f.customer(), await f.customer()]
    const agent = await f.agentInstance({ customerId: a.id })
    const ids = [a.id, b.id]
    const rollback = new Error('rolled back on purpose')

    expect(
      await bumpsOf(db, ids, () =>
        db
          .transaction(async (tx) => {
            await tx.update(s.agentInstances).set({ isActive: false }).where(eq(s.agentInstances.id, agent.id))
            await tx.update(s.customers).set({ name: 'Never' }).where(eq(s.customers.id, b.id))
            throw rollback
          })
          .catch((e) => expect(e).toBe(rollback)),
      ),
    ).toEqual([0, 0])
    expect(
      await bumpsOf(db, ids, () =>
        db.transaction(async (tx) => {
          await tx
            .transaction(async (savepoint) => {
              await savepoint.update(s.customers).set({ name: 'Never' }).where(eq(s.customers.id, b.id))
              throw rollback
            })
            .catch((e) => expect(e).toBe(rollback))
          await tx.update(s.agentInstances).set({ isActive: false }).where(eq(s.agentInstances.id, agent.id))
        }),
      ),
    ).toEqual([1, 0])
  })

  it('the version only ever goes up, and changed_at with it', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const seen: Array<{ version: number; changedAt: Date }> = []
    for (let i = 0; i < 5; i++) {
      await db
        .update(s.customers)
        .set({ name: `Name ${i}` })
        .where(eq(s.customers.id, customer.id))
      const [row] = await db.select().from(s.edgeStateVersions).where(eq(s.edgeStateVersions.customerId, customer.id))
      seen.push({ version: row!.version, changedAt: row!.changedAt })
    }
    expect(seen.map((r) => r.version)).toEqual([2, 3, 4, 5, 6])
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.changedAt.getTime()).toBeGreaterThanOrEqual(seen[i - 1]!.changedAt.getTime())
  })

  it('deleting a customer removes its version with everything else of it', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id })
    await f.subscription({ customerId: customer.id })
    await db.delete(s.customers).where(eq(s.customers.id, customer.id))
    expect(await readEdgeStateVersion(db, customer.id)).toBeNull()
  })
})
