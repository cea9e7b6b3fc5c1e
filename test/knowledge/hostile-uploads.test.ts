import { describe, expect, it } from 'vitest'
import { uploadDocument } from '../../src/knowledge/documents'
import { BOMBS, type Bomb } from '../support/bombs'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { bucket, chunksOf, deliver, documentRow, fixture, message, recordingDocumentQueues } from '../support/knowledge'

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

/** Files that are only damaged, beside the bombs: refused as unreadable, never as over a limit. */
const DAMAGED: Bomb[] = [
  { fileName: 'empty.txt', build: () => new Uint8Array(0), reason: 'The file is empty (0 bytes)', limit: false },
  {
    fileName: 'truncated.pdf',
    build: () => truncated(fixture('sample.pdf'), fixture('sample.pdf').byteLength / 2),
    reason: 'The PDF is damaged',
    limit: false,
  },
  {
    fileName: 'truncated.docx',
    build: () => truncated(fixture('sample.docx'), fixture('sample.docx').byteLength - 100),
    reason: 'The Word document is damaged',
    limit: false,
  },
]
const HOSTILE = [...BOMBS, ...DAMAGED]

describe('hostile uploads: each ends in error with its reason within one attempt', () => {
  it.each(HOSTILE)('$fileName', { timeout: 60_000 }, async ({ fileName, build, reason, limit }) => {
    const attacker = await customerWithKnowledgeBase()
    const bomb = await attacker.upload(fileName, await build())
    const result = await deliver([message(bomb.id)])
    expect(result.explicitAcks).toEqual([expect.any(String)])
    expect(result.retryMessages).toEqual([])
    const row = await documentRow(attacker.db, bomb.id)
    expect(row).toMatchObject({ status: 'error', unfinishedAttempts: 0, failedOnLimits: limit })
    expect(row!.errorMessage).toContain(reason)
    expect(await chunksOf(attacker.db, bomb.id)).toEqual([])
  })

  it("another customer's document queued behind every bomb is indexed", { timeout: 120_000 }, async () => {
    const attacker = await customerWithKnowledgeBase()
    const neighbour = await customerWithKnowledgeBase()
    const bombs = []
    for (const { fileName, build } of HOSTILE) bombs.push(await attacker.upload(fileName, await build()))
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
