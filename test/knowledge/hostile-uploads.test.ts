import { describe, expect, it } from 'vitest'
import { uploadDocument } from '../../src/knowledge/documents'
import { cmapBomb } from '../support/bombs/pdf'
import { uncountedSecondDocument, xmlBomb } from '../support/bombs/zip'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { emptyPagesPdf, repeated } from '../support/hostile-files'
import { bucket, chunksOf, deliver, documentRow, fixture, message, recordingDocumentQueues } from '../support/knowledge'

const MB = 1024 * 1024

async function customerWithKnowledgeBase() {
  const { db } = testDb()
  const f = factories(db)
  const kb = await f.knowledgeBase()
  await f.subscription({ customerId: kb.customerId })
  const deps = { db, bucket: bucket(), queues: recordingDocumentQueues().queues }
  const upload = (fileName: string, bytes: Uint8Array) =>
    uploadDocument(deps, { customerId: kb.customerId, kbId: kb.id, fileName, bytes })
  return { db, upload }
}

/** Cut short, as an interrupted download is: the zip loses its directory, the PDF its xref. */
const truncated = (bytes: Uint8Array, keep: number) => bytes.subarray(0, keep)

const HOSTILE: Array<[string, () => Promise<Uint8Array> | Uint8Array, string]> = [
  ['tag-bomb.html', () => repeated('<head>', 12 * MB), 'The HTML file contains no text'],
  ['emphasis-bomb.md', () => repeated('**a ', 12 * MB), 'more than 4,000,000 characters of text'],
  ['zip-bomb.docx', () => xmlBomb(100 * MB), "The Word document's text unpacks to more than 20 MB"],
  ['lying-zip-bomb.docx', () => xmlBomb(100 * MB, { declaredSize: 1024 }), 'unpacks to more than its declared size'],
  ['hidden-document.docx', () => uncountedSecondDocument(64 * MB), 'holds more entries than it declares'],
  ['empty-pages.pdf', () => emptyPagesPdf(5000), 'The PDF has 5,000 pages; the limit is 500'],
  ['cmap-bomb.pdf', () => cmapBomb(), "The PDF's fonts map more than 1,000,000 characters (the limit)"],
  ['empty.txt', () => new Uint8Array(0), 'The file is empty (0 bytes)'],
  ['truncated.pdf', () => truncated(fixture('sample.pdf'), fixture('sample.pdf').byteLength / 2), 'The PDF is damaged'],
  [
    'truncated.docx',
    () => truncated(fixture('sample.docx'), fixture('sample.docx').byteLength - 100),
    'The Word document is damaged',
  ],
]

describe('hostile uploads: each ends in error with its reason within one attempt', () => {
  it.each(HOSTILE)('%s', { timeout: 60_000 }, async (fileName, build, reason) => {
    const attacker = await customerWithKnowledgeBase()
    const bomb = await attacker.upload(fileName, await build())
    const result = await deliver([message(bomb.id)])
    expect(result.explicitAcks).toEqual([expect.any(String)])
    expect(result.retryMessages).toEqual([])
    const row = await documentRow(attacker.db, bomb.id)
    expect(row).toMatchObject({ status: 'error', unfinishedAttempts: 0 })
    expect(row!.errorMessage).toContain(reason)
    expect(await chunksOf(attacker.db, bomb.id)).toEqual([])
  })

  it("another customer's document queued behind every bomb is indexed", { timeout: 120_000 }, async () => {
    const attacker = await customerWithKnowledgeBase()
    const neighbour = await customerWithKnowledgeBase()
    const bombs = []
    for (const [fileName, build] of HOSTILE) bombs.push(await attacker.upload(fileName, await build()))
    const ordinary = await neighbour.upload('sample.txt', fixture('sample.txt'))
    // Delivered in upload order, one message per invocation as wrangler.toml configures.
    for (const doc of [...bombs, ordinary]) {
      const result = await deliver([message(doc.id)])
      expect(result.retryMessages).toEqual([])
    }
    for (const bomb of bombs) expect((await documentRow(attacker.db, bomb.id))!.status).toBe('error')
    expect((await documentRow(neighbour.db, ordinary.id))!.status).toBe('indexed')
    expect((await chunksOf(neighbour.db, ordinary.id)).length).toBeGreaterThan(0)
  })
})
