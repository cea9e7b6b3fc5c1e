import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { retryDelaySeconds } from '../../queues/backoff'
import { knowledgeDocuments } from '../../src/db/schema'
import { NotFound, UnsupportedFileType } from '../../src/errors'
import { addTextDocument, deleteDocument, reindexDocument, uploadDocument } from '../../src/knowledge/documents'
import { processDocument } from '../../src/knowledge/process-document'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories } from '../support/factories'
import {
  bucket,
  chunksOf,
  deliver,
  deliverDeadLetters,
  documentRow,
  type FixtureName,
  failingDocumentQueues,
  fixture,
  message,
  recordingDocumentQueues,
  UNREADABLE_FIXTURES,
} from '../support/knowledge'

async function setup() {
  const { db } = testDb()
  const f = factories(db)
  const kb = await f.knowledgeBase()
  await f.subscription({ customerId: kb.customerId })
  const { queues, sent } = recordingDocumentQueues()
  const deps = { db, bucket: bucket(), queues }
  const upload = (name: FixtureName, bytes = fixture(name)) =>
    uploadDocument(deps, { customerId: kb.customerId, kbId: kb.id, fileName: name, bytes })
  const paste = (text: string, title = 'Pasted') =>
    addTextDocument(deps, { customerId: kb.customerId, kbId: kb.id, title, text })
  return { db, f, kb, deps, sent, upload, paste }
}

describe('upload', () => {
  it('stores the bytes in R2 under an id-derived key, creates a pending document and queues it', async () => {
    const { kb, upload, sent } = await setup()
    const doc = await upload('sample.pdf')
    expect(doc).toMatchObject({ status: 'pending', title: 'sample.pdf', fileSize: fixture('sample.pdf').byteLength })
    expect(doc.contentType).toBe('application/pdf')
    expect(doc.filePath).toBe(`customers/${kb.customerId}/knowledge-bases/${kb.id}/documents/${doc.id}`)
    const object = await bucket().get(doc.filePath!)
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(fixture('sample.pdf'))
    expect(sent).toEqual([{ documentId: doc.id }])
  })

  it('refuses a file of the wrong type renamed .pdf, storing nothing', async () => {
    const { db, kb, upload, sent } = await setup()
    await expect(upload('not-really.pdf')).rejects.toBeInstanceOf(UnsupportedFileType)
    const rows = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.knowledgeBaseId, kb.id))
    expect(rows).toEqual([])
    const listed = await bucket().list({ prefix: `customers/${kb.customerId}/` })
    expect(listed.objects).toEqual([])
    expect(sent).toEqual([])
  })

  it("refuses another customer's knowledge base", async () => {
    const { f, deps } = await setup()
    const other = await f.knowledgeBase()
    const stranger = await f.customer()
    await expect(
      uploadDocument(deps, {
        customerId: stranger.id,
        kbId: other.id,
        fileName: 'a.txt',
        bytes: fixture('sample.txt'),
      }),
    ).rejects.toBeInstanceOf(NotFound)
  })
})

describe('processing through the queue (spec 5.1)', () => {
  it('processes a text document into chunks and marks it indexed', async () => {
    const { db, paste } = await setup()
    const doc = await paste('This is test content. '.repeat(100))
    const result = await deliver([message(doc.id)])
    expect(result.explicitAcks).toHaveLength(1)
    expect(result.retryMessages).toEqual([])
    const row = await documentRow(db, doc.id)
    expect(row).toMatchObject({ status: 'indexed', errorMessage: null })
    expect(row!.processedAt).toBeInstanceOf(Date)
    const chunks = await chunksOf(db, doc.id)
    expect(chunks.length).toBeGreaterThan(0)
    expect(row!.chunkCount).toBe(chunks.length)
    expect(chunks[0]!.embedding).toHaveLength(1536)
    expect(chunks[0]!.knowledgeBaseId).toBe(doc.knowledgeBaseId)
    expect(chunks[0]!.customerId).toBe(doc.customerId)
  })

  it('chunks with 500 tokens and 50 overlap, storing token_count', async () => {
    const { db, paste } = await setup()
    const doc = await paste('word '.repeat(1500))
    await deliver([message(doc.id)])
    const chunks = await chunksOf(db, doc.id)
    expect(chunks.length).toBeGreaterThanOrEqual(3)
    expect(chunks.map((c) => c.chunkIndex)).toEqual(chunks.map((_, i) => i))
    expect(chunks.every((c) => c.tokenCount <= 500)).toBe(true)
    const [first, second] = chunks
    expect(second!.content.slice(0, 100)).toContain(first!.content.slice(-50).trim())
  })

  it.each([
    ['sample.txt', 'support desk'],
    ['sample.md', 'bold'],
    ['sample.html', 'Content here'],
    ['sample.pdf', 'Refunds are issued'],
    ['sample.docx', 'laptop on day one'],
  ] as const)('indexes %s', async (name, phrase) => {
    const { db, upload } = await setup()
    const doc = await upload(name)
    await deliver([message(doc.id)])
    expect((await documentRow(db, doc.id))!.status).toBe('indexed')
    expect((await chunksOf(db, doc.id)).map((c) => c.content).join(' ')).toContain(phrase)
  })

  it.each(UNREADABLE_FIXTURES)(
    'marks %s as error with a message that says so, without retrying',
    async (name, text) => {
      const { db, upload } = await setup()
      const doc = await upload(name)
      const result = await deliver([message(doc.id)])
      expect(result.explicitAcks).toEqual([expect.any(String)])
      expect(result.retryMessages).toEqual([])
      const row = await documentRow(db, doc.id)
      expect(row!.status).toBe('error')
      expect(row!.errorMessage).toContain(text)
      expect(await chunksOf(db, doc.id)).toEqual([])
    },
  )

  it('skips documents already indexed', async () => {
    const { db, f } = await setup()
    const doc = await f.knowledgeDocument({ status: 'indexed' })
    const outcome = await processDocument({ db, bucket: bucket(), config: testConfig() }, doc.id)
    expect(outcome).toEqual({ status: 'skipped', reason: 'already indexed' })
    expect((await documentRow(db, doc.id))!.status).toBe('indexed')
  })

  it('acks a message for a document that no longer exists, and a malformed message', async () => {
    const result = await deliver([message(crypto.randomUUID()), { ...message('x'), body: { nope: true } }])
    expect(result.explicitAcks).toHaveLength(2)
    expect(result.retryMessages).toEqual([])
  })

  it('never duplicates chunks on redelivery, or with a duplicate in the same batch', async () => {
    const { db, paste } = await setup()
    const doc = await paste('Redelivered content. '.repeat(300))
    await deliver([message(doc.id), message(doc.id)])
    const first = await chunksOf(db, doc.id)
    await deliver([message(doc.id, 2)])
    const again = await chunksOf(db, doc.id)
    expect(again.map((c) => c.id)).toEqual(first.map((c) => c.id))
    expect(new Set(again.map((c) => c.chunkIndex)).size).toBe(again.length)
  })

  it('never duplicates chunks when two consumers process the same document at once', async () => {
    const { db, paste } = await setup()
    const doc = await paste('Concurrent content. '.repeat(600))
    const deps = { db, bucket: bucket(), config: testConfig() }
    const outcomes = await Promise.all([processDocument(deps, doc.id), processDocument(deps, doc.id)])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['indexed', 'skipped'])
    const row = await documentRow(db, doc.id)
    expect((await chunksOf(db, doc.id)).length).toBe(row!.chunkCount)
  })

  it('re-indexing replaces the chunks instead of adding to them', async () => {
    const { db, deps, kb, paste } = await setup()
    const doc = await paste('Reindexed content. '.repeat(400))
    await deliver([message(doc.id)])
    const before = await chunksOf(db, doc.id)
    await reindexDocument(deps, kb.customerId, doc.id)
    expect((await documentRow(db, doc.id))!.status).toBe('pending')
    await deliver([message(doc.id)])
    const after = await chunksOf(db, doc.id)
    expect(after.length).toBe(before.length)
    expect(after.map((c) => c.id)).not.toEqual(before.map((c) => c.id))
    expect((await documentRow(db, doc.id))!.status).toBe('indexed')
  })

  it('a document the queue refuses is kept, in error, saying to re-index; a refused re-index is a 503', async () => {
    const { db, deps, kb, paste } = await setup()
    const unqueued = { ...deps, queues: failingDocumentQueues() }
    const doc = await addTextDocument(unqueued, {
      customerId: kb.customerId,
      kbId: kb.id,
      title: 'Unqueued',
      text: 'Text the queue never received.',
    })
    expect(doc).toMatchObject({ status: 'error', errorMessage: expect.stringContaining('re-index it to try again') })
    const indexed = await paste('Indexed text.')
    await deliver([message(indexed.id)])
    await expect(reindexDocument(unqueued, kb.customerId, indexed.id)).rejects.toMatchObject({
      message: expect.stringContaining('could not be queued'),
    })
    expect(await documentRow(db, indexed.id)).toMatchObject({ status: 'error' })
  })

  it('acknowledges per message: one bad file and one outage do not retry the good one', async () => {
    const { db, upload, paste } = await setup()
    const good = await paste('A perfectly good document about invoices.')
    const corrupt = await upload('corrupt.pdf')
    const outage = await paste('This one meets an outage [[embeddings:503]]')
    const messages = [message(good.id), message(corrupt.id), message(outage.id, 3)]
    const result = await deliver(messages)
    expect(result.explicitAcks.sort()).toEqual([messages[0]!.id, messages[1]!.id].sort())
    expect(result.retryMessages).toEqual([{ msgId: messages[2]!.id }])
    expect((await documentRow(db, good.id))!.status).toBe('indexed')
    expect((await documentRow(db, corrupt.id))!.status).toBe('error')
    const failed = await documentRow(db, outage.id)
    expect(failed!.status).toBe('error')
    expect(failed!.errorMessage).toBe('The embeddings service is unavailable (HTTP 503). Retrying automatically.')
  })

  it('retries a rate-limited embeddings call after Retry-After and indexes the document', async () => {
    const { db, paste } = await setup()
    const doc = await paste(`Rate limited once [[embeddings:429-once:${crypto.randomUUID()}]] then fine.`)
    const result = await deliver([message(doc.id)])
    expect(result.retryMessages).toEqual([])
    expect((await documentRow(db, doc.id))!.status).toBe('indexed')
  })

  it('after the last retry the dead-letter queue marks the document error for good', async () => {
    const { db, paste } = await setup()
    const doc = await paste('Never gets embedded [[embeddings:503]]')
    await deliver([message(doc.id, 6)])
    const result = await deliverDeadLetters([message(doc.id)])
    expect(result.explicitAcks).toHaveLength(1)
    const row = await documentRow(db, doc.id)
    expect(row!.status).toBe('error')
    expect(row!.errorMessage).toBe(
      'The embeddings service is unavailable (HTTP 503). Gave up after repeated attempts; re-index to try again.',
    )
  })

  it('the dead-letter queue leaves a document that got indexed alone', async () => {
    const { db, f } = await setup()
    const doc = await f.knowledgeDocument({ status: 'indexed' })
    await deliverDeadLetters([message(doc.id)])
    expect((await documentRow(db, doc.id))!.status).toBe('indexed')
  })
})

describe('retry backoff', () => {
  it('doubles from 10 seconds per attempt, up to 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(retryDelaySeconds)).toEqual([10, 20, 40, 80, 160, 320, 900])
  })
})

describe('delete', () => {
  it('removes the document, its chunks and its R2 object', async () => {
    const { db, deps, kb, upload } = await setup()
    const doc = await upload('sample.txt')
    await deliver([message(doc.id)])
    expect((await chunksOf(db, doc.id)).length).toBeGreaterThan(0)
    await deleteDocument(deps, kb.customerId, doc.id)
    expect(await documentRow(db, doc.id)).toBeUndefined()
    expect(await chunksOf(db, doc.id)).toEqual([])
    expect(await bucket().get(doc.filePath!)).toBeNull()
  })
})
