// The database becomes unreachable, then comes back. The Worker here reaches the database through
// a relay of its own (test services' `outageWsProxy`): an outage cuts every connection through it
// at once, mid-query included, and refuses new ones until recovery, which the Worker sees exactly as
// a stopped database (a refused or dropped connection). The rest of the suite keeps its own relay,
// so test files running alongside are not hit. Runs on PGlite and on the real PostgreSQL.
import { eq, inArray } from 'drizzle-orm'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import '../support/provided'
import { DOCUMENT_DEAD_LETTER_QUEUE, DOCUMENT_QUEUE, USAGE_QUEUE } from '../../queues'
import { queueUsageReports } from '../../src/billing/rules/usage-queue'
import * as s from '../../src/db/schema'
import { GRACE_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { addTextDocument } from '../../src/knowledge/documents'
import { billedAgent, report } from '../support/billing'
import { testDb } from '../support/db'
import { factories, uniq } from '../support/factories'
import { BASE, internalHeaders } from '../support/http'
import { bucket, message, recordingDocumentQueues, recordingQueue } from '../support/knowledge'
import { postUsageBatch, postWebhookDelivery, signedDelivery } from '../support/race-requests'
import { reportFigures, taggedWorker } from '../support/races'
import { topUpEvent } from '../support/stripe'
import { signedInAccount } from '../support/web'

const control = inject('databaseControlUrl')
const runtime = taggedWorker('outage', { LOCAL_WS_PROXY: inject('outageWsProxy') })
const STALL_QUERY_TIMEOUT_MS = 1_500
// The same Worker with a short query timeout, so a stalled query gives up within the test's time.
const impatientRuntime = taggedWorker('outage-stall', {
  LOCAL_WS_PROXY: inject('outageWsProxy'),
  DATABASE_QUERY_TIMEOUT_MS: String(STALL_QUERY_TIMEOUT_MS),
} as Record<string, string>)

async function databaseDown() {
  await fetch(`${control}/outage`, { method: 'POST' })
}
/** Connections stay open but go silent at their next query, as a half-open connection does. */
async function databaseStalls() {
  await fetch(`${control}/stall`, { method: 'POST' })
}
async function databaseUp() {
  await fetch(`${control}/recovery`, { method: 'POST' })
}

afterEach(databaseUp)

const postBatch = (reports: unknown[]) => postUsageBatch(runtime, reports)
const deliverSigned = async (event: object) => postWebhookDelivery(runtime, await signedDelivery(event))

describe('database outage', () => {
  it('the internal API answers 503 in the envelope, promptly, and works again after recovery', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    await databaseDown()
    const started = Date.now()
    const res = await runtime.fetch(`/api/internal/billing/can-respond/${agent.id}`, { headers: internalHeaders() })
    const downMs = Date.now() - started
    expect(res.status).toBe(503)
    expect(res.headers.get('Retry-After')).toBe('30')
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } }
    expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', request_id: expect.any(String) })
    expect(body.error.message).toMatch(/database is unreachable/)

    await databaseUp()
    const recovered = Date.now()
    const again = await runtime.fetch(`/api/internal/billing/can-respond/${agent.id}`, { headers: internalHeaders() })
    expect(again.status).toBe(200)
    reportFigures('outage: internal API', {
      status_down: res.status,
      answer_ms: downMs,
      first_ok_after_recovery_ms: Date.now() - recovered,
    })
  })

  it('a database that stops answering mid-query: 503 once the query timeout passes, not a hang; usage is queued', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    await databaseStalls()
    const started = Date.now()
    const res = await impatientRuntime.fetch(`/api/internal/billing/can-respond/${agent.id}`, {
      headers: internalHeaders(),
    })
    const answerMs = Date.now() - started
    expect(res.status).toBe(503)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/unreachable/) })

    // Inside a transaction too: the stalled ingest gives up, and the reports go on the usage queue.
    const batch = await postUsageBatch(impatientRuntime, [report(agent.id, { messages: 1 })])
    expect(batch.status).toBe(202)
    expect(await batch.json()).toMatchObject({ queued: 1, rejected: 0 })

    await databaseUp()
    const again = await impatientRuntime.fetch(`/api/internal/billing/can-respond/${agent.id}`, {
      headers: internalHeaders(),
    })
    expect(again.status).toBe(200)
    reportFigures('outage: stalled database', {
      query_timeout_ms: STALL_QUERY_TIMEOUT_MS,
      status_stalled: res.status,
      answer_ms: answerMs,
    })
  })

  it('usage/batch queues the valid reports (202) and they are counted once when the database is back', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const reports = Array.from({ length: 150 }, (_, i) => report(agent.id, { messages: 1, input_tokens: i }))
    const invalid = { ...report(agent.id), metrics: { messages: -1 } }

    await databaseDown()
    const first = await postBatch([...reports, invalid])
    // The runtime did not see the first answer and sends the batch again: queued again.
    const resent = await postBatch(reports)
    expect(first.status).toBe(202)
    expect(await first.json()).toMatchObject({
      queued: 150,
      rejected: 1,
      errors: [{ index: 150, reason: 'invalid_report' }],
    })
    expect(resent.status).toBe(202)
    expect(await resent.json()).toMatchObject({ queued: 150, rejected: 0 })

    // The consumer, while the database is still down: the messages are retried, not acknowledged.
    const recording = recordingQueue()
    await queueUsageReports(recording.queue, reports)
    const messages = recording.sent.map((body, i) => ({
      id: `usage-${uniq()}-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    }))
    const whileDown = await runtime.queue(USAGE_QUEUE, messages)
    expect(whileDown.explicitAcks).toEqual([])
    expect(whileDown.retryMessages.map((m) => m.msgId).sort()).toEqual(messages.map((m) => m.id).sort())

    await databaseUp()
    const recovered = Date.now()
    // The batches the route queued reach the Worker's consumer through the local Queues simulation
    // (whose bindings use the suite's own relay) and are counted once, though queued twice.
    await vi.waitFor(
      async () => {
        const stored = await db.select().from(s.usageReports).where(eq(s.usageReports.agentInstanceId, agent.id))
        expect(stored).toHaveLength(150)
      },
      { timeout: 15_000, interval: 200 },
    )
    const countedAfterMs = Date.now() - recovered
    // A redelivery after recovery is acknowledged and counts nothing twice.
    const afterRecovery = await runtime.queue(
      USAGE_QUEUE,
      messages.map((m) => ({ ...m, attempts: 2 })),
    )
    expect(afterRecovery.retryMessages).toEqual([])
    expect(afterRecovery.explicitAcks).toHaveLength(messages.length)
    const [record] = await db.select().from(s.usageRecords).where(eq(s.usageRecords.agentInstanceId, agent.id))
    expect(record).toMatchObject({ messages: 150, inputTokens: reports.reduce((n, _r, i) => n + i, 0) })

    // Duplicates are still refused, now that the database answers.
    const again = await postBatch(reports.slice(0, 3))
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ accepted: 0, rejected: 3 })
    reportFigures('outage: usage queue', { queued: 300, counted: 150, counted_after_recovery_ms: countedAfterMs })
  })

  it('usage/batch answers 503 in the envelope when the database is down and the queue refuses the reports too', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const refusal = async () => {
      throw new Error('queue unavailable')
    }
    const queueRefuses = taggedWorker('outage-queue-refuses', {
      LOCAL_WS_PROXY: inject('outageWsProxy'),
      USAGE_QUEUE: { send: refusal, sendBatch: refusal },
    } as Record<string, unknown>)
    await databaseDown()
    const res = await postUsageBatch(queueRefuses, [report(agent.id, { messages: 1 })])
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Usage cannot be recorded right now; send the batch again later' },
    })
    await databaseUp()
    expect(await db.select().from(s.usageRecords).where(eq(s.usageRecords.agentInstanceId, agent.id))).toEqual([])
  })

  it("webhooks answer 5xx while down and nothing is half-applied; Stripe's redelivery applies each event once", async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const events = Array.from({ length: 20 }, (_, i) => topUpEvent(customer, 500 + i))
    // The database goes away while the deliveries are in flight.
    const inFlight = Promise.all(events.map((e) => deliverSigned(e)))
    await new Promise((r) => setTimeout(r, 100))
    await databaseDown()
    const first = await inFlight
    const failed = first.filter((r) => r.status >= 500)
    expect(first.every((r) => r.status === 200 || r.status === 503)).toBe(true)
    const afterDown = await deliverSigned(events[0]!)
    expect(afterDown.status).toBe(503)

    await databaseUp()
    // Whatever was recorded was applied in full: each recorded event credited its amount.
    const recordedIds = (
      await db
        .select({ id: s.stripeEvents.id })
        .from(s.stripeEvents)
        .where(
          inArray(
            s.stripeEvents.id,
            events.map((e) => e.id),
          ),
        )
    ).map((r) => r.id)
    const balanceOf = async () =>
      (await db.query.extraUsageBalances.findFirst({ where: eq(s.extraUsageBalances.customerId, customer.id) }))
        ?.balanceCents ?? 0
    const amount = (id: string) => 500 + events.findIndex((e) => e.id === id)
    expect(await balanceOf()).toBe(recordedIds.reduce((n, id) => n + amount(id), 0))

    // Stripe retries every delivery that did not get a 2xx (here: all of them again, to be sure).
    const redelivered = await Promise.all(events.map((e) => deliverSigned(e)))
    expect(redelivered.map((r) => r.status)).toEqual(events.map(() => 200))
    expect(await balanceOf()).toBe(events.reduce((n, _e, i) => n + 500 + i, 0))
    reportFigures('outage: webhooks', {
      deliveries: events.length,
      answered_5xx: failed.length,
      applied_before_outage: recordedIds.length,
    })
  })

  it.each([
    {
      scenario: 'a document message is retried, not acknowledged, while the database is down',
      queue: DOCUMENT_QUEUE,
      document: { title: 'Outage', text: 'Some text to index after the outage.' },
      afterRecovery: { status: 'indexed' },
    },
    {
      scenario: 'a dead letter is retried while the database is down, and gives the document up once it is back',
      queue: DOCUMENT_DEAD_LETTER_QUEUE,
      document: { title: 'Dead letter', text: 'Text whose processing never succeeded.' },
      afterRecovery: { status: 'error', errorMessage: expect.stringContaining('Gave up after repeated attempts') },
    },
  ])('$scenario', async ({ queue, document, afterRecovery }) => {
    const { db } = testDb()
    const f = factories(db)
    const kb = await f.knowledgeBase()
    await f.subscription({ customerId: kb.customerId })
    const doc = await addTextDocument(
      { db, bucket: bucket(), queues: recordingDocumentQueues().queues },
      { customerId: kb.customerId, kbId: kb.id, ...document },
    )
    await databaseDown()
    const down = await runtime.queue(queue, [message(doc.id)])
    expect(down.explicitAcks).toEqual([])
    expect(down.retryMessages).toHaveLength(1)
    await databaseUp()
    const up = await runtime.queue(queue, [message(doc.id, 2)])
    expect(up.explicitAcks).toHaveLength(1)
    const [row] = await db.select().from(s.knowledgeDocuments).where(eq(s.knowledgeDocuments.id, doc.id))
    expect(row).toMatchObject(afterRecovery)
  })

  it('a cron run fails loudly while the database is down (Cron Triggers record the failure)', async () => {
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '))
    })
    await databaseDown()
    await expect(runtime.scheduled(GRACE_EXPIRY_CRON, new Date())).rejects.toThrow()
    expect(logged.join('\n')).toContain('scheduled job failed')
    vi.restoreAllMocks()
  })

  it('the dashboard shows a readable error page', async () => {
    const { web } = await signedInAccount()
    await databaseDown()
    const res = await runtime.fetch('/dashboard', {
      headers: { Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '), Origin: BASE },
    })
    expect(res.status).toBe(503)
    expect(res.headers.get('Content-Type')).toMatch(/text\/html/)
    const html = await res.text()
    expect(html).toContain('Temporarily unavailable')
    expect(html).toContain('The database is unreachable right now. Please try again in a moment.')
    expect(html).not.toMatch(/postgres:\/\/|Failed query|stack/i)
  })
})
