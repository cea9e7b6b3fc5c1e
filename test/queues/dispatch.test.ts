// The two Workers' queue entries: the main Worker (src/index.ts, queues/index.ts) consumes the usage
// queues, the extraction Worker (queues/extraction-worker.ts) the documents queues; what each does
// with a batch it cannot handle.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import extractionWorker, { type ExtractionBindings } from '../../queues/extraction-worker'
import {
  DOCUMENT_DEAD_LETTER_QUEUE,
  DOCUMENT_QUEUE,
  SUSPECT_DOCUMENT_QUEUE,
  USAGE_QUEUE,
} from '../../queues/queue-names'
import worker from '../../src/index'
import { addTextDocument } from '../../src/knowledge/documents'
import type { Bindings } from '../../src/types'
import { testDb } from '../support/db'
import { env } from '../support/env'
import { factories } from '../support/factories'
import { bucket, chunksOf, documentRow, message, recordingDocumentQueues } from '../support/knowledge'

afterEach(() => {
  vi.restoreAllMocks()
})

function errorLog() {
  const lines: string[] = []
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '))
  })
  return lines
}

const batchOf = (queue: string) =>
  createMessageBatch(queue, [{ id: 'm1', timestamp: new Date(), attempts: 1, body: { documentId: 'x' } }])

async function deliverToMain(queue: string, bindings: Bindings) {
  const batch = batchOf(queue)
  const ctx = createExecutionContext()
  await worker.queue(batch, bindings, ctx)
  return getQueueResult(batch, ctx)
}

async function deliverToExtraction(
  queue: string,
  bindings: ExtractionBindings,
  batch: MessageBatch<unknown> = batchOf(queue),
) {
  const ctx = createExecutionContext()
  await extractionWorker.queue(batch, bindings, ctx)
  return getQueueResult(batch, ctx)
}

describe('main Worker queue dispatch', () => {
  it.each(['some-other-queue', DOCUMENT_QUEUE, SUSPECT_DOCUMENT_QUEUE, DOCUMENT_DEAD_LETTER_QUEUE])(
    'retries a batch from %s, which it does not consume, acknowledging nothing, and logs it',
    async (queue) => {
      const logged = errorLog()
      const result = await deliverToMain(queue, env)
      expect(result.explicitAcks).toEqual([])
      expect(result.retryBatch).toMatchObject({ retry: true })
      expect(logged.join('\n')).toContain('message from an unknown queue; retrying later')
    },
  )

  it('retries the whole batch when the environment is invalid, naming the problem in the log', async () => {
    const { ENCRYPTION_KEY: _key, ...invalid } = env
    const logged = errorLog()
    const result = await deliverToMain(USAGE_QUEUE, invalid as Bindings)
    expect(result.explicitAcks).toEqual([])
    expect(result.retryBatch).toMatchObject({ retry: true })
    expect(logged.join('\n')).toContain('ENCRYPTION_KEY is not set')
  })
})

describe('extraction Worker queue dispatch', () => {
  it('retries a batch from a queue it does not consume (the usage queue is the main Worker’s), and logs it', async () => {
    const logged = errorLog()
    const result = await deliverToExtraction(USAGE_QUEUE, env)
    expect(result.explicitAcks).toEqual([])
    expect(result.retryBatch).toMatchObject({ retry: true })
    expect(logged.join('\n')).toContain('message from an unknown queue; retrying later')
  })

  it('retries the whole batch when the environment is invalid, naming the problem but not the value', async () => {
    const logged = errorLog()
    const result = await deliverToExtraction(DOCUMENT_QUEUE, { ...env, DATABASE_URL: 'mysql://user:hunter2@db/x' })
    expect(result.explicitAcks).toEqual([])
    expect(result.retryBatch).toMatchObject({ retry: true })
    expect(logged.join('\n')).toContain('DATABASE_URL: DATABASE_URL must be a postgres:// URL')
    expect(logged.join('\n')).not.toContain('hunter2')
  })

  it.each([DOCUMENT_QUEUE, SUSPECT_DOCUMENT_QUEUE])(
    'indexes a document from %s with only its own bindings: no service secret, encryption key or Stripe key',
    async (queue) => {
      const { db } = testDb()
      const f = factories(db)
      const kb = await f.knowledgeBase()
      await f.subscription({ customerId: kb.customerId })
      const doc = await addTextDocument(
        { db, bucket: bucket(), queues: recordingDocumentQueues().queues },
        { customerId: kb.customerId, kbId: kb.id, title: 'Refunds', text: 'Refunds take five business days.' },
      )
      const own: ExtractionBindings = {
        UPLOADS: env.UPLOADS,
        DATABASE_URL: env.DATABASE_URL,
        LOCAL_WS_PROXY: env.LOCAL_WS_PROXY,
        OPENAI_API_KEY: env.OPENAI_API_KEY,
        OPENAI_BASE_URL: env.OPENAI_BASE_URL,
        LOG_LEVEL: 'warn',
      }
      const result = await deliverToExtraction(queue, own, createMessageBatch(queue, [message(doc.id)]))
      expect(result.explicitAcks).toHaveLength(1)
      expect(await documentRow(db, doc.id)).toMatchObject({ status: 'indexed', chunkCount: 1 })
      expect(await chunksOf(db, doc.id)).toHaveLength(1)
    },
  )
})
