// A document that failed on an extraction limit (ExtractionLimitExceeded: a budget broken, or runs
// cut off MAX_PROCESSING_ATTEMPTS times) stays failed when its customer re-indexes it; an ordinary
// failure can be re-indexed. Only an operator resets it (test/node/ops.test.ts).
import { describe, expect, it } from 'vitest'
import { Conflict } from '../../src/errors'
import { reindexDocument, uploadDocument } from '../../src/knowledge/documents'
import { MAX_PROCESSING_ATTEMPTS } from '../../src/knowledge/limits'
import { CUT_OFF_MESSAGE } from '../../src/knowledge/process-document'
import { testDb } from '../support/db'
import { bucket, deliver, documentRow, fixture, message, recordingDocumentQueues } from '../support/knowledge'
import { signedInCustomer } from '../support/web'

async function setup() {
  const { db } = testDb()
  const signedIn = await signedInCustomer(db)
  const kb = await signedIn.f.knowledgeBase({ customerId: signedIn.customer.id })
  return { db, ...signedIn, kb }
}

/** A document whose runs were cut off MAX_PROCESSING_ATTEMPTS times, failed by its next delivery. */
async function cutOffDocument(s: Awaited<ReturnType<typeof setup>>) {
  const doc = await s.f.knowledgeDocument({
    knowledgeBaseId: s.kb.id,
    customerId: s.customer.id,
    status: 'processing',
    unfinishedAttempts: MAX_PROCESSING_ATTEMPTS,
    contentType: 'text/plain',
  })
  const result = await deliver([message(doc.id, MAX_PROCESSING_ATTEMPTS + 1)])
  expect(result.retryMessages).toEqual([])
  return doc
}

describe('re-indexing a document that failed on an extraction limit', () => {
  it('the consumer records the limit failure in the database', async () => {
    const s = await setup()
    const doc = await cutOffDocument(s)
    expect(await documentRow(s.db, doc.id)).toMatchObject({
      status: 'error',
      errorMessage: CUT_OFF_MESSAGE,
      failedOnLimits: true,
      unfinishedAttempts: 0,
    })
  })

  it('is refused to its customer with the reason and that support can retry it; nothing is queued', async () => {
    const s = await setup()
    const doc = await cutOffDocument(s)
    const { queues, sent } = recordingDocumentQueues()
    const refusal = reindexDocument({ db: s.db, bucket: bucket(), queues }, s.customer.id, doc.id)
    await expect(refusal).rejects.toBeInstanceOf(Conflict)
    await expect(refusal).rejects.toThrow(CUT_OFF_MESSAGE)
    await expect(refusal).rejects.toThrow('contact support: they can retry it')
    expect(sent).toEqual([])
    expect(await documentRow(s.db, doc.id)).toMatchObject({
      status: 'error',
      errorMessage: CUT_OFF_MESSAGE,
      failedOnLimits: true,
    })
  })

  it('the re-index button answers a readable 409 page, not a 500, and the document stays failed', async () => {
    const s = await setup()
    const doc = await cutOffDocument(s)
    await s.web.page(`/knowledge/${s.kb.id}`)
    const res = await s.web.post(`/knowledge/${s.kb.id}/documents/${doc.id}/reindex`)
    expect(res.status).toBe(409)
    const html = await res.text()
    expect(html).toContain('This document stays failed: Processing stopped before it finished')
    expect(html).toContain('contact support: they can retry it')
    expect(html).toContain(`href="/knowledge/${s.kb.id}"`)
    expect(await documentRow(s.db, doc.id)).toMatchObject({ status: 'error', failedOnLimits: true })
  })

  it('an ordinary unreadable file (not a limit) can still be re-indexed by its customer', async () => {
    const s = await setup()
    const deps = { db: s.db, bucket: bucket(), queues: recordingDocumentQueues().queues }
    const doc = await uploadDocument(deps, {
      customerId: s.customer.id,
      kbId: s.kb.id,
      fileName: 'corrupt.pdf',
      bytes: fixture('corrupt.pdf'),
    })
    await deliver([message(doc.id)])
    expect(await documentRow(s.db, doc.id)).toMatchObject({ status: 'error', failedOnLimits: false })
    const { queues, sent } = recordingDocumentQueues()
    await reindexDocument({ ...deps, queues }, s.customer.id, doc.id)
    expect(sent).toEqual([{ documentId: doc.id }])
    expect(await documentRow(s.db, doc.id)).toMatchObject({ status: 'pending', errorMessage: null })
  })
})
