import { inArray, sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import { usageBatchResultSchema } from '../../src/api/internal/routes/usage-batch'
import type { Database } from '../../src/db/client'
import { usageRecords, usageReports } from '../../src/db/schema'
import { billedAgent, report } from '../support/billing'
import { testDb } from '../support/db'
import { bodyOf } from '../support/http'
import { atOnce, postUsageBatch } from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures, shuffled } from '../support/races'

const BIG_LIMITS = { messages: 1_000_000, tokens: 1_000_000_000 }

/** Posts every batch at once from a Worker tagged `tag`; each batch is answered 200. */
async function postBatchesAtOnce(db: Database, tag: string, batches: unknown[][]) {
  const { results, peakSessions } = await atOnce(db, tag, (runtime) =>
    batches.map((reports) => postUsageBatch(runtime, reports)),
  )
  expect(results.map((r) => r.status)).toEqual(batches.map(() => 200))
  const bodies = await Promise.all(results.map((r) => bodyOf(r, usageBatchResultSchema)))
  return { bodies, peakSessions }
}

/** The period totals the batches left for these agents. */
function usageRecordsOf(db: Database, agents: Array<{ id: string }>) {
  const ids = agents.map((a) => a.id)
  return db.select().from(usageRecords).where(inArray(usageRecords.agentInstanceId, ids))
}

describeOnPostgres('race: usage batches at once', () => {
  it('counts every request_id once across overlapping batches and customers: exact totals, no 5xx', async () => {
    const { db } = testDb()
    const agents: Array<{ id: string }> = []
    for (let c = 0; c < 3; c++) {
      const { agent, f, customer } = await billedAgent(db, { limits: BIG_LIMITS })
      agents.push(agent, await f.agentInstance({ customerId: customer.id }))
    }
    // 400 distinct reports over 6 agents of 3 customers; each batch takes a random 120 of them,
    // so every request_id arrives in several batches at once (and batches span all customers).
    const pool = Array.from({ length: 400 }, (_, i) =>
      report(agents[i % agents.length]!.id, { messages: 1 + (i % 3), input_tokens: 10 + i, output_tokens: 7 }),
    )
    const batches = Array.from({ length: CONCURRENCY }, () => shuffled(pool).slice(0, 120))
    const sent = new Set(batches.flat().map((r) => r.request_id))

    const { bodies, peakSessions } = await postBatchesAtOnce(db, 'race-usage-overlap', batches)
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)

    const accepted = bodies.reduce((n, b) => n + b.accepted, 0)
    const rejected = bodies.flatMap((b) => b.errors)
    expect(accepted).toBe(sent.size)
    expect(rejected).toHaveLength(batches.length * 120 - sent.size)
    expect(new Set(rejected.map((e) => e.reason))).toEqual(new Set(['duplicate_request_id']))
    reportFigures('usage overlap', {
      batches: batches.length,
      reports_sent: batches.length * 120,
      distinct: sent.size,
      accepted,
      duplicates: rejected.length,
      peak_sessions: peakSessions,
    })

    const stored = await db
      .select({ requestId: usageReports.requestId })
      .from(usageReports)
      .where(inArray(usageReports.requestId, [...sent]))
    expect(stored).toHaveLength(sent.size)

    const records = await usageRecordsOf(db, agents)
    expect(records).toHaveLength(agents.length)
    for (const agent of agents) {
      const mine = pool.filter((r) => r.agent_instance_id === agent.id && sent.has(r.request_id))
      const sum = (key: 'messages' | 'input_tokens' | 'output_tokens') =>
        mine.reduce((n, r) => n + (r.metrics[key] as number), 0)
      expect(records.find((r) => r.agentInstanceId === agent.id)).toMatchObject({
        messages: sum('messages'),
        inputTokens: sum('input_tokens'),
        outputTokens: sum('output_tokens'),
      })
    }
  })

  // A confused runtime reuses request_ids across customers: batches of different customers do
  // not share a customer lock, so only the insert order keeps them from waiting on each other in
  // a cycle. Three rounds, because a deadlock needs an unlucky interleaving.
  it.each([1, 2, 3])(
    'a request_id sent for several customers at once is counted once, with no deadlock (round %i)',
    async () => {
      const { db } = testDb()
      const agents: Array<{ id: string }> = []
      for (let c = 0; c < 8; c++) agents.push((await billedAgent(db, { limits: BIG_LIMITS })).agent)
      const ids = Array.from({ length: 300 }, () => crypto.randomUUID())
      const batches = Array.from({ length: CONCURRENCY + 8 }, (_, i) =>
        shuffled(ids).map((id) => report(agents[i % agents.length]!.id, { messages: 1 }, { request_id: id })),
      )
      const { bodies, peakSessions } = await postBatchesAtOnce(db, 'race-usage-cross-customer', batches)
      expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
      expect(bodies.reduce((n, x) => n + x.accepted, 0)).toBe(ids.length)
      reportFigures('usage request_id across customers', {
        batches: batches.length,
        ids: ids.length,
        peak_sessions: peakSessions,
      })

      const { rows } = await db.execute<{ agent: string; n: number }>(sql`
      SELECT agent_instance_id AS agent, count(*)::int AS n FROM usage_reports
      WHERE request_id IN ${sql.raw(`('${ids.join("','")}')`)} GROUP BY agent_instance_id`)
      expect(rows.reduce((n, r) => n + Number(r.n), 0)).toBe(ids.length)
      const records = await usageRecordsOf(db, agents)
      for (const row of rows) {
        expect(records.find((r) => r.agentInstanceId === row.agent)?.messages).toBe(Number(row.n))
      }
    },
  )
})
