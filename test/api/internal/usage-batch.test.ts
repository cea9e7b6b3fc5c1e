import { and, eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { usageBatchResultSchema } from '../../../src/api/internal/routes/usage-batch'
import { customers, extraUsageBalances, usageRecords, usageReports } from '../../../src/db/schema'
import { billedAgent, days, hours, postBatch, report } from '../../support/billing'
import { testDb } from '../../support/db'
import { bodyOf, call, internalHeaders, statementsOf } from '../../support/http'

const batchBodyOf = (res: Response) => bodyOf(res, usageBatchResultSchema)

async function recordOf(db: ReturnType<typeof testDb>['db'], agentId: string) {
  return db.select().from(usageRecords).where(eq(usageRecords.agentInstanceId, agentId))
}

// Spec 4.5 (timestamps are "now": a report must fall in the customer's current period, see below).
describe('POST /api/internal/usage/batch', () => {
  it('accepts and stores a usage report', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const r = report(agent.id, { messages: 1, input_tokens: 150, output_tokens: 320 })
    const res = await postBatch([r])
    expect(res.status).toBe(200)
    expect(await batchBodyOf(res)).toEqual({ accepted: 1, rejected: 0, errors: [] })
    const stored = await db.select().from(usageReports).where(eq(usageReports.requestId, r.request_id))
    expect(stored).toHaveLength(1)
  })

  it('counts a request_id once: the same batch again is rejected as duplicate', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const batch = [report(agent.id, { messages: 1, input_tokens: 100, output_tokens: 200 })]
    await postBatch(batch)
    const body = await batchBodyOf(await postBatch(batch))
    expect(body).toMatchObject({ accepted: 0, rejected: 1 })
    expect(body.errors[0]).toMatchObject({ index: 0, request_id: batch[0]?.request_id, reason: 'duplicate_request_id' })
    expect((await recordOf(db, agent.id))[0]?.messages).toBe(1)
  })

  it('counts a request_id once when the same batch arrives twice at the same moment', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const batch = Array.from({ length: 20 }, () =>
      report(agent.id, { messages: 1, input_tokens: 10, output_tokens: 5 }),
    )
    const results = await Promise.all(
      [postBatch(batch), postBatch(batch), postBatch(batch)].map(async (p) => batchBodyOf(await p)),
    )
    expect(results.map((r) => r.accepted).reduce((a, b) => a + b)).toBe(20)
    expect(results.map((r) => r.rejected).reduce((a, b) => a + b)).toBe(40)
    const [record] = await recordOf(db, agent.id)
    expect(record).toMatchObject({ messages: 20, inputTokens: 200, outputTokens: 100 })
  })

  it('rejects a request_id repeated within one batch', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const r = report(agent.id)
    const body = await batchBodyOf(await postBatch([r, { ...r, metrics: { messages: 5 } }]))
    expect(body).toMatchObject({ accepted: 1, rejected: 1 })
    expect(body.errors[0]).toMatchObject({ index: 1, reason: 'duplicate_request_id' })
    expect((await recordOf(db, agent.id))[0]?.messages).toBe(1)
  })

  it('handles several reports in one batch and aggregates them into the usage record', async () => {
    const { db } = testDb()
    const { agent, subscription } = await billedAgent(db)
    const res = await postBatch([
      report(agent.id, { messages: 1, input_tokens: 100, output_tokens: 200 }),
      report(agent.id, { messages: 1, input_tokens: 150, output_tokens: 250 }),
    ])
    expect((await batchBodyOf(res)).accepted).toBe(2)
    const records = await recordOf(db, agent.id)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ messages: 2, inputTokens: 250, outputTokens: 450, customerId: agent.customerId })
    expect(records[0]?.periodStart.toISOString()).toBe(subscription?.currentPeriodStart.toISOString())
    expect(records[0]?.periodEnd.toISOString()).toBe(subscription?.currentPeriodEnd.toISOString())
  })

  it('rejects reports for a non-existent agent with index, request_id and reason', async () => {
    const r = report('00000000-0000-0000-0000-000000000000')
    const body = await batchBodyOf(await postBatch([r]))
    expect(body).toMatchObject({ accepted: 0, rejected: 1 })
    expect(body.errors).toEqual([
      expect.objectContaining({ index: 0, request_id: r.request_id, reason: 'unknown_agent' }),
    ])
  })

  it("attributes each report to its own agent's customer, also across customers in one batch", async () => {
    const { db } = testDb()
    const { agent: a } = await billedAgent(db)
    const { agent: b } = await billedAgent(db)
    const body = await batchBodyOf(
      await postBatch([report(a.id, { messages: 2 }), report(b.id, { messages: 3 }), report(a.id)]),
    )
    expect(body.accepted).toBe(3)
    expect((await recordOf(db, a.id))[0]).toMatchObject({ customerId: a.customerId, messages: 3 })
    expect((await recordOf(db, b.id))[0]).toMatchObject({ customerId: b.customerId, messages: 3 })
  })

  it('rejects reports older than the late window, before the first period or in the future, and keeps the rest', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, {
      subscription: { currentPeriodStart: days(-10), currentPeriodEnd: days(20) },
    })
    const reports = [
      report(agent.id, { messages: 1 }, { timestamp: '2025-01-15T10:30:00Z' }),
      report(agent.id, { messages: 1 }, { timestamp: days(-11).toISOString() }),
      report(agent.id, { messages: 1 }, { timestamp: hours(2).toISOString() }),
      report(agent.id, { messages: 1 }, { timestamp: days(-9).toISOString() }),
      report(agent.id, { messages: 1 }, { timestamp: new Date().toISOString().replace('Z', '+02:00') }),
    ]
    const body = await batchBodyOf(await postBatch(reports))
    expect(body).toMatchObject({ accepted: 2, rejected: 3 })
    expect(body.errors.map((e) => [e.index, e.reason])).toEqual([
      [0, 'too_old'],
      [1, 'before_subscription'],
      [2, 'timestamp_in_future'],
    ])
  })

  it('rejects reports of a customer without a subscription', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, { subscription: false })
    const body = await batchBodyOf(await postBatch([report(agent.id)]))
    expect(body.errors[0]?.reason).toBe('no_subscription')
  })

  it.each([
    ['negative', { messages: -1 }],
    ['fractional', { messages: 1.5 }],
    ['huge', { input_tokens: 1e15 }],
    ['a string', { messages: '1' }],
    ['empty', {}],
    ['missing', undefined],
    ['null', null],
    ['an array', [1, 2]],
  ])('rejects %s metrics as invalid and keeps the valid reports', async (_label, metrics) => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const bad = { ...report(agent.id), metrics }
    const body = await batchBodyOf(await postBatch([report(agent.id), bad]))
    expect(body).toMatchObject({ accepted: 1, rejected: 1 })
    expect(body.errors[0]).toMatchObject({ index: 1, request_id: bad.request_id, reason: 'invalid_report' })
  })

  it.each([
    ['a non-UUID agent id', { agent_instance_id: 'agent-1' }],
    ['a missing request_id', { request_id: undefined }],
    ['an empty request_id', { request_id: '' }],
    ['a NUL in the request_id', { request_id: 'a\u0000b' }],
    ['a lone surrogate in the request_id', { request_id: 'a\ud800b' }],
    ['a 201-character request_id', { request_id: 'r'.repeat(201) }],
    ['a malformed timestamp', { timestamp: 'yesterday' }],
    ['an impossible date', { timestamp: '2026-02-30T10:00:00Z' }],
  ])('rejects a report with %s', async (_label, override) => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const body = await batchBodyOf(await postBatch([{ ...report(agent.id), ...override }]))
    expect(body).toMatchObject({ accepted: 0, rejected: 1 })
    expect(body.errors[0]?.reason).toBe('invalid_report')
  })

  it('rejects reports that are not objects', async () => {
    const body = await batchBodyOf(await postBatch([null, 1, 'x', [], true]))
    expect(body).toMatchObject({ accepted: 0, rejected: 5 })
    expect(body.errors.map((e) => e.request_id)).toEqual([null, null, null, null, null])
  })

  it('ingests 1,000 reports in a constant number of SQL statements, in one transaction', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, { limits: { messages: 1_000_000 } })
    const { agent: other } = await billedAgent(db, { limits: { messages: 1_000_000 } })
    const small = await postBatch([report(agent.id)])
    const reports = Array.from({ length: 1000 }, (_, i) =>
      report(i % 2 ? agent.id : other.id, { messages: 1, input_tokens: i }),
    )
    const res = await postBatch(reports)
    expect((await batchBodyOf(res)).accepted).toBe(1000)
    expect(statementsOf(res)).toBe(statementsOf(small))
    expect(statementsOf(res)).toBe(4) // begin, lock customers, insert + aggregate, commit
    expect((await recordOf(db, agent.id))[0]?.messages).toBe(501)
  })

  it('adds at most two statements when the batch starts grace periods and charges balances', async () => {
    const { db } = testDb()
    const customersOverLimit = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const billed = await billedAgent(db, { limits: { messages: 10 } })
        await billed.f.extraUsageBalance({ customerId: billed.customer.id, balanceCents: 1000 })
        return billed.agent
      }),
    )
    const reports = Array.from({ length: 1000 }, (_, i) => report(customersOverLimit[i % 5]?.id as string))
    const res = await postBatch(reports)
    expect((await batchBodyOf(res)).accepted).toBe(1000)
    expect(statementsOf(res)).toBe(6)
  })

  it('answers 413 for more than 1,000 reports, 400 for a malformed body, in the envelope', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const tooMany = await postBatch(Array.from({ length: 1001 }, () => report(agent.id)))
    expect(tooMany.status).toBe(413)
    expect((await batchBodyOf(tooMany)).error?.code).toBe('PAYLOAD_TOO_LARGE')
    for (const body of ['{', '[]', '{"reports": 5}', '{}', 'null']) {
      const res = await call('/api/internal/usage/batch', {
        method: 'POST',
        headers: { ...internalHeaders(), 'Content-Type': 'application/json' },
        body,
      })
      expect(res.status).toBe(400)
      expect((await batchBodyOf(res)).error?.code).toBe('BAD_REQUEST')
    }
    const huge = await call('/api/internal/usage/batch', {
      method: 'POST',
      headers: { ...internalHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ reports: [], padding: 'x'.repeat(3 * 1024 * 1024) }),
    })
    expect(huge.status).toBe(413)
  })

  it('answers an empty batch without touching the database', async () => {
    const res = await postBatch([])
    expect(await batchBodyOf(res)).toEqual({ accepted: 0, rejected: 0, errors: [] })
    expect(statementsOf(res)).toBe(0)
  })
})

describe('usage batch billing consequences', () => {
  it('keeps a running grace period as it is', async () => {
    const { db } = testDb()
    const endsAt = hours(3)
    const { agent, customer } = await billedAgent(db, {
      limits: { messages: 1 },
      customer: { gracePeriodEndsAt: endsAt },
    })
    await postBatch([report(agent.id, { messages: 5 })])
    const [row] = await db.select().from(customers).where(eq(customers.id, customer.id))
    expect(row?.gracePeriodEndsAt?.toISOString()).toBe(endsAt.toISOString())
  })

  it('charges usage beyond the limit to the extra balance at the overage price, never below 0', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 10, tokens: 10_000 } })
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 100 })
    const balance = async () =>
      (await db.select().from(extraUsageBalances).where(eq(extraUsageBalances.customerId, customer.id)))[0]
        ?.balanceCents
    // 8 messages: under the limit, nothing charged.
    await postBatch([report(agent.id, { messages: 8, input_tokens: 4000, output_tokens: 4000 })])
    expect(await balance()).toBe(100)
    // +5 messages (3 over at 1 cent) and +5,000 tokens (3,000 over at 1 cent per 1k) = 6 cents.
    await postBatch([report(agent.id, { messages: 5, input_tokens: 2500, output_tokens: 2500 })])
    expect(await balance()).toBe(94)
    // Far more than the balance covers: it stops at 0.
    await postBatch([report(agent.id, { messages: 500 })])
    expect(await balance()).toBe(0)
  })

  it('sums reports for several agents of one customer before judging the limit', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 4 } })
    const second = await f.agentInstance({ customerId: customer.id })
    const body = await (await postBatch([report(agent.id, { messages: 2 }), report(second.id, { messages: 2 })])).json()
    expect(body).toMatchObject({ accepted: 2 })
    const [row] = await db.select().from(customers).where(eq(customers.id, customer.id))
    expect(row?.gracePeriodEndsAt).not.toBeNull()
    const records = await db
      .select()
      .from(usageRecords)
      .where(
        and(eq(usageRecords.customerId, customer.id), inArray(usageRecords.agentInstanceId, [agent.id, second.id])),
      )
    expect(records.map((r) => r.messages).sort()).toEqual([2, 2])
  })
})
