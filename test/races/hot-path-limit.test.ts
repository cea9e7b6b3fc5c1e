// can-respond at the edge against a limit that concurrent usage is crossing, on a real PostgreSQL:
// 48 conversations at once, each asking can-respond and reporting the message it was allowed, until
// the plan's limit is reached. The isolate answers from its lease, the customer's object from its
// copy, usage ingest tells the object its totals; none of that may let more through than asking
// Postgres every time would, and no answer may miss a batch that was answered before it was asked.
import { eq, sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import { usageRecords } from '../../src/db/schema'
import { billedAgent, report } from '../support/billing'
import { testDb } from '../support/db'
import { edgeRuntime, hotCalls } from '../support/edge'
import { postUsageBatch } from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures, withPeakSessions } from '../support/races'

const LIMIT = 120

describeOnPostgres('race: can-respond at the edge while usage crosses the limit', () => {
  it('overshoots by at most the messages in flight, and every answer counts the batches answered before it', async () => {
    const { db } = testDb()
    const { agent, customer } = await billedAgent(db, { limits: { messages: LIMIT } })
    const tag = 'race-hot-path-limit'
    const runtime = edgeRuntime(tag)
    const edge = hotCalls(runtime)
    await edge.canRespond(agent.id) // the isolate learns the agent's customer
    await edge.canRespond(agent.id) // the object loads

    let batchesAnswered = 0
    let inFlight = 0
    let peakInFlight = 0
    const sources: Record<string, number> = {}
    const stale: string[] = []
    const conversation = async () => {
      let allowedHere = 0
      for (;;) {
        const answeredBefore = batchesAnswered
        const answer = await edge.canRespond(agent.id)
        expect(answer.status).toBe(200)
        sources[String(answer.source)] = (sources[String(answer.source)] ?? 0) + 1
        const usage = answer.body.usage as { messages: number }
        if (usage.messages < answeredBefore) stale.push(`${answer.source}: ${usage.messages} < ${answeredBefore}`)
        // Within the plan: reason_code null. Past it a grace period starts, which is not the point here.
        if (answer.body.allowed !== true || answer.body.reason_code !== null) return allowedHere
        allowedHere++
        inFlight++
        peakInFlight = Math.max(peakInFlight, inFlight)
        const res = await postUsageBatch(runtime, [report(agent.id, { messages: 1 })])
        inFlight--
        expect(res.status).toBe(200)
        expect(((await res.json()) as { accepted: number }).accepted).toBe(1)
        batchesAnswered++
      }
    }
    const { result: allowedPer, peakSessions } = await withPeakSessions(db, tag, () =>
      Promise.all(Array.from({ length: CONCURRENCY }, conversation)),
    )
    const allowed = allowedPer.reduce((a, b) => a + b, 0)
    const [recorded] = await db
      .select({ messages: sql<number>`sum(${usageRecords.messages})::int` })
      .from(usageRecords)
      .where(eq(usageRecords.customerId, customer.id))
    reportFigures('hot path at the limit', {
      limit: LIMIT,
      conversations: CONCURRENCY,
      allowed_within_plan: allowed,
      recorded: recorded?.messages ?? 0,
      overshoot: allowed - LIMIT,
      peak_messages_in_flight: peakInFlight,
      peak_sessions: peakSessions,
      ...Object.fromEntries(Object.entries(sources).map(([s, n]) => [`answers_${s}`, n])),
    })
    expect(stale, 'answers that missed a batch answered before they were asked').toEqual([])
    expect(recorded?.messages).toBe(allowed)
    expect(allowed).toBeGreaterThanOrEqual(LIMIT)
    // Each message past the limit was allowed while another conversation's message was in flight,
    // unreported; the leases and the copies add nothing to that.
    expect(allowed - LIMIT).toBeLessThanOrEqual(Math.max(0, peakInFlight - 1))
    expect(sources.l1 ?? 0, 'the isolate answered some from its lease').toBeGreaterThan(0)
    const after = await edge.canRespond(agent.id)
    expect(after.body).toMatchObject({ allowed: true, reason_code: 'over_limit_grace', over_limit: ['messages'] })
  })
})
