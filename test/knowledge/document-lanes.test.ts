// One customer's bombs never sit in front of other customers' documents: documentLane sends a
// customer with a recent limit failure, or a burst in flight, to the suspect queue, and every path
// that queues a document (upload, paste, re-index, the sweep and so an operator's retry) asks it.
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { SUSPECT_DOCUMENT_QUEUE } from '../../queues/queue-names'
import type { Database } from '../../src/db/client'
import { documentLane, MAX_IN_FLIGHT_ON_MAIN_LANE } from '../../src/knowledge/document-lanes'
import { addTextDocument, reindexDocument, uploadDocument } from '../../src/knowledge/documents'
import { sweepStaleDocuments } from '../../src/knowledge/stale-documents'
import { retryFailedDocuments } from '../../src/ops/actions'
import { createLogger } from '../../src/platform/logger'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import {
  bucket,
  chunksOf,
  deliver,
  deliverDeadLetters,
  documentRow,
  fixture,
  message,
  recordingDocumentQueues,
} from '../support/knowledge'

async function setup() {
  const { db } = testDb()
  const f = factories(db)
  const kb = await f.knowledgeBase()
  await f.subscription({ customerId: kb.customerId })
  const customerId = kb.customerId
  const document = (o: Parameters<typeof f.knowledgeDocument>[0] = {}) =>
    f.knowledgeDocument({ knowledgeBaseId: kb.id, customerId, ...o })
  const limitFailure = () => document({ status: 'error', errorMessage: 'Too many PDF pages.', failedOnLimits: true })
  return { db, f, kb, customerId, document, limitFailure }
}

/**
 * Other test files run the cron's sweep (at 2001, 2010) while this one runs: rows in `processing`
 * since 1970 (what an operator's retry leaves) are theirs to take once committed. Inside this
 * transaction they are not, and a sweep "at" 1990 sees nothing older than them.
 */
const SWEEP_TIME = new Date('1990-01-01T00:00:00Z')
const unseenByOtherSweeps = <T>(db: Database, run: (tx: Database) => Promise<T>) =>
  db.transaction((tx) => run(tx as unknown as Database))

const ageUpdate = (db: Database, documentId: string, hours: number) =>
  db.execute(
    sql`UPDATE knowledge_documents SET updated_at = now() - make_interval(hours => ${hours}) WHERE id = ${documentId}`,
  )

describe('documentLane', () => {
  it('a customer with nothing wrong goes on the main lane', async () => {
    const { db, customerId, document } = await setup()
    await document({ status: 'indexed' })
    await document({ status: 'error', errorMessage: 'The PDF is damaged or not a valid PDF file.' })
    expect(await documentLane(db, customerId)).toBe('main')
  })

  it('a customer with a document that failed on a limit in the last 24 hours goes on the suspect lane', async () => {
    const { db, customerId, limitFailure } = await setup()
    const failed = await limitFailure()
    await ageUpdate(db, failed.id, 23)
    expect(await documentLane(db, customerId)).toBe('suspect')
  })

  it('a limit failure older than 24 hours no longer counts', async () => {
    const { db, customerId, limitFailure } = await setup()
    const failed = await limitFailure()
    await ageUpdate(db, failed.id, 25)
    expect(await documentLane(db, customerId)).toBe('main')
  })

  it(`the first ${MAX_IN_FLIGHT_ON_MAIN_LANE} documents in flight go on the main lane, the next on the suspect lane`, async () => {
    const { db, customerId, document } = await setup()
    const lanes = []
    for (let i = 0; i <= MAX_IN_FLIGHT_ON_MAIN_LANE; i++) {
      await document({ status: i % 2 === 0 ? 'pending' : 'processing' })
      lanes.push(await documentLane(db, customerId))
    }
    expect(lanes).toEqual([...Array(MAX_IN_FLIGHT_ON_MAIN_LANE).fill('main'), 'suspect'])
  })

  it('one customer on the suspect lane leaves another on the main lane', async () => {
    const attacker = await setup()
    await attacker.limitFailure()
    const other = await setup()
    expect(await documentLane(attacker.db, attacker.customerId)).toBe('suspect')
    expect(await documentLane(other.db, other.customerId)).toBe('main')
  })
})

describe('every path that queues a document takes its lane from documentLane', () => {
  it('upload and paste: main for a clean customer, suspect after a limit failure', async () => {
    const { db, kb, customerId, limitFailure } = await setup()
    const { queues, lanes } = recordingDocumentQueues()
    const deps = { db, bucket: bucket(), queues }
    const upload = () =>
      uploadDocument(deps, { customerId, kbId: kb.id, fileName: 'sample.txt', bytes: fixture('sample.txt') })
    const paste = () => addTextDocument(deps, { customerId, kbId: kb.id, title: 'Pasted', text: 'Plain words.' })
    const cleanUpload = await upload()
    const cleanPaste = await paste()
    await limitFailure()
    const suspectUpload = await upload()
    const suspectPaste = await paste()
    expect(lanes.main).toEqual([{ documentId: cleanUpload.id }, { documentId: cleanPaste.id }])
    expect(lanes.suspect).toEqual([{ documentId: suspectUpload.id }, { documentId: suspectPaste.id }])
  })

  it('re-index: a customer with a recent limit failure has its other documents re-indexed on the suspect lane', async () => {
    const { db, customerId, document, limitFailure } = await setup()
    const { queues, lanes } = recordingDocumentQueues()
    const deps = { db, bucket: bucket(), queues }
    const ordinary = await document({ status: 'indexed' })
    await reindexDocument(deps, customerId, ordinary.id)
    await db.execute(sql`UPDATE knowledge_documents SET status = 'indexed' WHERE id = ${ordinary.id}`)
    await limitFailure()
    await reindexDocument(deps, customerId, ordinary.id)
    expect(lanes.main).toEqual([{ documentId: ordinary.id }])
    expect(lanes.suspect).toEqual([{ documentId: ordinary.id }])
  })

  it('an operator retrying many bombs at once: the sweep puts them all on the suspect lane', async () => {
    const { db, document } = await setup()
    const bombs = await Promise.all(
      Array.from({ length: MAX_IN_FLIGHT_ON_MAIN_LANE + 3 }, () =>
        document({ status: 'error', errorMessage: 'Too many PDF pages.', failedOnLimits: true }),
      ),
    )
    for (const bomb of bombs) await ageUpdate(db, bomb.id, 48)
    const { queues, lanes } = recordingDocumentQueues()
    await unseenByOtherSweeps(db, async (tx) => {
      await retryFailedDocuments(tx, { ids: bombs.map((b) => b.id) }, 'ops-test')
      await sweepStaleDocuments({ db: tx, queues, logger: createLogger({}, 'silent'), now: SWEEP_TIME, limit: 100 })
    })
    expect(lanes.main).toEqual([])
    expect(lanes.suspect).toHaveLength(bombs.length)
  })

  it('the sweep requeues a lone stale document of a clean customer on the main lane', async () => {
    const { db, kb, customerId } = await setup()
    const { queues, lanes } = recordingDocumentQueues()
    const died = await unseenByOtherSweeps(db, async (tx) => {
      const row = await factories(tx).knowledgeDocument({
        knowledgeBaseId: kb.id,
        customerId,
        status: 'processing',
        processingStartedAt: new Date(0),
        unfinishedAttempts: 1,
      })
      await sweepStaleDocuments({ db: tx, queues, logger: createLogger({}, 'silent'), now: SWEEP_TIME, limit: 100 })
      return row
    })
    expect(lanes).toEqual({ main: [{ documentId: died.id }], suspect: [] })
  })
})

describe('the extraction Worker on the suspect lane', () => {
  it('indexes a document with the same handler', async () => {
    const { db, kb, customerId } = await setup()
    const doc = await addTextDocument(
      { db, bucket: bucket(), queues: recordingDocumentQueues().queues },
      { customerId, kbId: kb.id, title: 'Refunds', text: 'Refunds take five business days.' },
    )
    const result = await deliver([message(doc.id)], SUSPECT_DOCUMENT_QUEUE)
    expect(result.explicitAcks).toHaveLength(1)
    expect(await documentRow(db, doc.id)).toMatchObject({ status: 'indexed', chunkCount: 1 })
    expect(await chunksOf(db, doc.id)).toHaveLength(1)
  })

  it('retries a failing document, and after the last retry the shared dead-letter queue fails it for good', async () => {
    const { db, kb, customerId } = await setup()
    const doc = await addTextDocument(
      { db, bucket: bucket(), queues: recordingDocumentQueues().queues },
      { customerId, kbId: kb.id, title: 'Outage', text: 'Never gets embedded [[embeddings:503]]' },
    )
    const retried = message(doc.id, 2)
    expect((await deliver([retried], SUSPECT_DOCUMENT_QUEUE)).retryMessages).toEqual([{ msgId: retried.id }])
    await deliver([message(doc.id, 6)], SUSPECT_DOCUMENT_QUEUE)
    expect((await deliverDeadLetters([message(doc.id)])).explicitAcks).toHaveLength(1)
    expect(await documentRow(db, doc.id)).toMatchObject({
      status: 'error',
      errorMessage:
        'The embeddings service is unavailable (HTTP 503). Gave up after repeated attempts; re-index to try again.',
    })
  })
})
