import { eq } from 'drizzle-orm'
import { expect, it } from 'vitest'
import { DOCUMENT_QUEUE } from '../../queues'
import { documentChunks, knowledgeDocuments } from '../../src/db/schema'
import { addTextDocument } from '../../src/knowledge/documents'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { bucket, message, recordingDocumentQueues } from '../support/knowledge'
import { atOnce } from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures } from '../support/races'

describeOnPostgres('race: one document, many consumers', () => {
  // Most consumers find the document claimed and finish at once, so twice as many are started for
  // at least 20 of them to hold a session at the same moment.
  const CONSUMERS = CONCURRENCY * 2

  it('consumers processing the same document at once leave one set of chunks', async () => {
    const { db } = testDb()
    const f = factories(db)
    const kb = await f.knowledgeBase()
    await f.subscription({ customerId: kb.customerId })
    const text = Array.from(
      { length: 60 },
      (_, i) => `Paragraph ${i}: the return policy allows refunds within thirty days of purchase.`,
    ).join('\n\n')
    const doc = await addTextDocument(
      { db, bucket: bucket(), queues: recordingDocumentQueues().queues },
      { customerId: kb.customerId, kbId: kb.id, title: 'Policy', text },
    )

    const { results, peakSessions } = await atOnce(db, 'race-documents', (runtime) =>
      Array.from({ length: CONSUMERS }, () => runtime.queue(DOCUMENT_QUEUE, [message(doc.id)])),
    )
    expect(results.flatMap((r) => r.retryMessages)).toEqual([])
    expect(results.flatMap((r) => r.explicitAcks)).toHaveLength(CONSUMERS)
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)

    const [row] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, doc.id))
    const chunks = await db
      .select({ index: documentChunks.chunkIndex })
      .from(documentChunks)
      .where(eq(documentChunks.documentId, doc.id))
    expect(row?.status).toBe('indexed')
    expect(chunks.length).toBeGreaterThan(1)
    expect(chunks).toHaveLength(row!.chunkCount)
    expect(chunks.map((c) => c.index).sort((a, b) => a - b)).toEqual(chunks.map((_c, i) => i))
    reportFigures('documents', { consumers: CONSUMERS, chunks: chunks.length, peak_sessions: peakSessions })
  })
})
