// Edge state versions (migration 0011) under concurrent writers: the version rows are locked at
// commit, after every other lock and in one order, so they add no deadlock and lose no bump, and a
// reader that takes version and data in one statement never sees data newer than its version.
import { sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import type { Database } from '../../src/db/client'
import { readEdgeStateVersion } from '../../src/db/edge-state-version'
import { creditCustomer } from '../../src/ops/actions'
import { billedAgent, report } from '../support/billing'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { BASE } from '../support/http'
import {
  atOnce,
  postUsageBatch,
  postWebhookDelivery,
  signedDelivery,
  type TaggedWorker,
} from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures, shuffled } from '../support/races'
import { topUpEvent } from '../support/stripe'
import { WebClient } from '../support/web-client'

const BIG_LIMITS = { messages: 1_000_000_000, tokens: 1_000_000_000_000 }

async function versionOf(db: Database, customerId: string): Promise<number> {
  const version = await readEdgeStateVersion(db, customerId)
  if (version === null) throw new Error(`customer ${customerId} has no edge state version`)
  return version
}

interface Observation {
  version: number
  messages: number
  balance: number
  activeAgents: number
}

/** Reads (version, data) of the customer in one statement, over and over, until `stop` resolves. */
async function observe(db: Database, customerId: string, stop: Promise<unknown>): Promise<Observation[]> {
  let done = false
  void stop.finally(() => {
    done = true
  })
  const seen: Observation[] = []
  while (!done) {
    const { rows } = await db.execute<Record<keyof Observation, string | number>>(sql`
      SELECT v.version,
        (SELECT coalesce(sum(messages), 0) FROM usage_records WHERE customer_id = v.customer_id) AS messages,
        (SELECT coalesce(sum(balance_cents), 0) FROM extra_usage_balances WHERE customer_id = v.customer_id) AS balance,
        (SELECT count(*) FILTER (WHERE is_active) FROM agent_instances WHERE customer_id = v.customer_id) AS "activeAgents"
      FROM edge_state_versions v WHERE v.customer_id = ${customerId}::uuid`)
    const row = rows[0]!
    seen.push({
      version: Number(row.version),
      messages: Number(row.messages),
      balance: Number(row.balance),
      activeAgents: Number(row.activeAgents),
    })
  }
  return seen
}

describeOnPostgres('race: edge state versions', () => {
  it('usage batches, agent switches, top-ups and credits on one customer: no failure, no lost bump, never newer data under an older version', async () => {
    const { db } = testDb()
    const { f, customer, agent } = await billedAgent(db, { limits: BIG_LIMITS })
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 0 })
    const switched = [
      await f.agentInstance({ customerId: customer.id }),
      await f.agentInstance({ customerId: customer.id }),
    ]
    const web = new WebClient()
    await web.loginAs(db, await f.customerUser({ customerId: customer.id }))
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: BASE,
      Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    }
    const batches = Array.from({ length: CONCURRENCY }, () =>
      Array.from({ length: 20 }, () => report(agent.id, { messages: 1, input_tokens: 10, output_tokens: 5 })),
    )
    const topUps = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signedDelivery(topUpEvent(customer, 1000 + i))),
    )
    const clicks = Array.from({ length: 16 }, (_, i) => ({
      agent: switched[i % 2]!,
      action: i % 4 < 2 ? 'deactivate' : 'activate',
    }))
    const credits = [1, 2, 3, 4]
    const before = await versionOf(db, customer.id)

    const tag = 'race-edge-state-one-customer'
    let finished!: () => void
    const stop = new Promise<void>((resolve) => {
      finished = resolve
    })
    const reader = observe(testDb().db, customer.id, stop)
    const { results, peakSessions } = await atOnce(db, tag, (runtime) => {
      const work: Array<() => Promise<{ kind: string; status: number }>> = [
        ...batches.map((reports) => async () => ({
          kind: 'usage',
          status: (await postUsageBatch(runtime, reports)).status,
        })),
        ...topUps.map((delivery) => async () => ({
          kind: 'top-up',
          status: (await postWebhookDelivery(runtime, delivery)).status,
        })),
        ...clicks.map(({ agent, action }) => async () => {
          const res = await runtime.fetch(`/agents/${agent.id}/${action}`, {
            method: 'POST',
            headers,
            body: new URLSearchParams({ _csrf: web.csrf! }),
            redirect: 'manual',
          })
          return { kind: action, status: res.status }
        }),
        ...credits.map((dollars) => async () => {
          await creditCustomer(testDb(tag).db, customer, dollars * 100, 'race-test', 'edge state race')
          return { kind: 'credit', status: 200 }
        }),
      ]
      return shuffled(work).map((run) => run())
    }).finally(finished)
    const observations = await reader
    const after = await versionOf(db, customer.id)

    const expectedStatus: Record<string, number> = {
      usage: 200,
      'top-up': 200,
      credit: 200,
      deactivate: 303,
      activate: 303,
    }
    expect(results.filter((r) => r.status !== expectedStatus[r.kind])).toEqual([])
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    // Every committed transaction that changed the customer's rows raised the version (switches
    // that found the agent already as asked changed nothing, so they may not have).
    const changing = batches.length + topUps.length + credits.length
    expect(after - before).toBeGreaterThanOrEqual(changing)
    expect(after - before).toBeLessThanOrEqual(changing + clicks.length)

    // One version, one state; and usage and balance only grow, so a higher version never shows less.
    const byVersion = new Map<number, Observation>()
    for (const o of observations) {
      const first = byVersion.get(o.version) ?? o
      byVersion.set(o.version, first)
      expect(o, `version ${o.version} seen with two states`).toEqual(first)
    }
    const ordered = [...byVersion.values()].sort((a, b) => a.version - b.version)
    for (let i = 1; i < ordered.length; i++) {
      expect(ordered[i]!.messages).toBeGreaterThanOrEqual(ordered[i - 1]!.messages)
      expect(ordered[i]!.balance).toBeGreaterThanOrEqual(ordered[i - 1]!.balance)
    }
    expect(byVersion.size, 'versions the reader saw change under it').toBeGreaterThan(1)
    reportFigures('edge state one customer', {
      requests: results.length,
      version_delta: after - before,
      reads: observations.length,
      versions_seen: byVersion.size,
      peak_sessions: peakSessions,
    })
  })

  it('transactions that share nothing but their customers (in shuffled order), plan and agent type changes, usage across customers: no deadlock, one bump per transaction and customer', async () => {
    const { db } = testDb()
    const f = factories(db)
    const plan = await f.plan({ limits: BIG_LIMITS })
    const type = await f.agentType()
    const customers = [await f.customer(), await f.customer(), await f.customer(), await f.customer()]
    for (const c of customers) await f.subscription({ customerId: c.id, planId: plan.id })
    // Each writer renames agents of its own, one per customer: only the version rows are shared.
    const agents = await Promise.all(
      customers.map(async (c) => {
        const mine = []
        for (let i = 0; i < CONCURRENCY; i++)
          mine.push(await f.agentInstance({ customerId: c.id, agentTypeId: type.id }))
        return mine
      }),
    )
    const ids = customers.map((c) => c.id)
    const before = await Promise.all(ids.map((id) => versionOf(db, id)))

    const tag = 'race-edge-state-many-customers'
    const renames = Array.from({ length: CONCURRENCY }, (_, w) => async () => {
      await testDb(tag).db.transaction(async (tx) => {
        for (const c of shuffled([0, 1, 2, 3]))
          await tx.execute(
            sql`UPDATE agent_instances SET name = ${`writer ${w}`} WHERE id = ${agents[c]![w]!.id}::uuid`,
          )
      })
      return 'rename'
    })
    const shared = [1, 2, 3, 4].flatMap((k) => [
      async () => {
        await testDb(tag).db.execute(
          sql`UPDATE plans SET limits = ${JSON.stringify({ ...BIG_LIMITS, agents: k })}::jsonb WHERE id = ${plan.id}::uuid`,
        )
        return 'plan'
      },
      async () => {
        await testDb(tag).db.execute(
          sql`UPDATE agent_types SET system_prompt_template = ${`Version ${k}`} WHERE id = ${type.id}::uuid`,
        )
        return 'agent type'
      },
    ])
    const usage = (runtime: TaggedWorker) =>
      Array.from({ length: 8 }, () => async () => {
        const res = await postUsageBatch(runtime, shuffled(agents.map((mine) => report(mine[0]!.id))))
        return res.status === 200 ? 'usage' : `usage ${res.status}`
      })
    // Every writer first queues at commit behind the test's lock on the four version rows, then they race.
    const { results, peakSessions } = await atOnce(
      db,
      tag,
      (runtime) => shuffled([...renames, ...shared, ...usage(runtime)]).map((run) => run()),
      sql`SELECT customer_id FROM edge_state_versions WHERE customer_id IN (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) ORDER BY customer_id FOR UPDATE`,
    )
    expect(results.filter((r) => !['rename', 'plan', 'agent type', 'usage'].includes(r))).toEqual([])
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    const after = await Promise.all(ids.map((id) => versionOf(db, id)))
    // Every transaction touched every customer, so each raised each version exactly once.
    expect(after.map((v, i) => v - before[i]!)).toEqual(ids.map(() => results.length))
    reportFigures('edge state many customers', {
      transactions: results.length,
      customers: ids.length,
      peak_sessions: peakSessions,
    })
  })
})
