import { describe, expect, it } from 'vitest'
import { uploadDocument } from '../../../src/knowledge/documents'
import { HIDDEN_WORD, uncountedSecondDocument } from '../../support/bombs/zip'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'
import { bucket, chunksOf, deliver, documentRow, message, recordingDocumentQueues } from '../../support/knowledge'

const MB = 1024 * 1024

describe('issue 21: a DOCX hiding a second word/document.xml from the end record', () => {
  it('ends in error with its reason after one delivery, and nothing of it is indexed', {
    timeout: 60_000,
  }, async () => {
    const { db } = testDb()
    const f = factories(db)
    const kb = await f.knowledgeBase()
    await f.subscription({ customerId: kb.customerId })
    // About 65 KB on disk; JSZip, trusting the directory over the end record, inflated 64 MB of it.
    const bytes = await uncountedSecondDocument(64 * MB)
    expect(bytes.byteLength).toBeLessThan(100 * 1024)
    const deps = { db, bucket: bucket(), queues: recordingDocumentQueues().queues }
    const doc = await uploadDocument(deps, { customerId: kb.customerId, kbId: kb.id, fileName: 'handbook.docx', bytes })

    const result = await deliver([message(doc.id)])

    expect(result.explicitAcks).toEqual([expect.any(String)])
    expect(result.retryMessages).toEqual([])
    const row = await documentRow(db, doc.id)
    expect(row).toMatchObject({ status: 'error', unfinishedAttempts: 0 })
    expect(row!.errorMessage).toBe(
      'The Word document is damaged or not a valid .docx file: its zip directory holds more entries than it declares',
    )
    expect(await chunksOf(db, doc.id)).toEqual([])
    expect(JSON.stringify(row)).not.toContain(HIDDEN_WORD)
  })
})
