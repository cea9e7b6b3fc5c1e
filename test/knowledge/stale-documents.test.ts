import { createScheduledController } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { GRACE_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { MAX_PROCESSING_ATTEMPTS } from '../../src/knowledge/limits'
import { CUT_OFF_MESSAGE } from '../../src/knowledge/process-document'
import { sweepStaleDocuments } from '../../src/knowledge/stale-documents'
import { createLogger } from '../../src/platform/logger'
import { testDb } from '../support/db'
import { env } from '../support/env'
import { factories } from '../support/factories'
import { createExecutionContext, waitOnExecutionContext } from '../support/http'
import { deliver, documentRow, failingDocumentQueues, message, recordingDocumentQueues } from '../support/knowledge'

// The sweep acts on every stale row. Rows here are "started" in 2010 and swept "at" 2010, after the
// 2001 the cron tests run at and long before the present, so no other test file's sweep meets them.
const at = (iso: string) => new Date(iso)
const NOW = at('2010-01-01T12:00:00Z')

describe('runs cut off by the CPU or memory limit', () => {
  it(`a document whose runs were cut off ${MAX_PROCESSING_ATTEMPTS} times ends in error on the next delivery`, async () => {
    const { db } = testDb()
    const doc = await factories(db).knowledgeDocument({
      status: 'processing',
      unfinishedAttempts: MAX_PROCESSING_ATTEMPTS,
      contentType: 'text/plain',
    })
    const result = await deliver([message(doc.id, 4)])
    expect(result.explicitAcks).toHaveLength(1)
    expect(result.retryMessages).toEqual([])
    expect(await documentRow(db, doc.id)).toMatchObject({ status: 'error', errorMessage: CUT_OFF_MESSAGE })
  })

  it('a run that records its outcome clears the count of unfinished runs', async () => {
    const { db } = testDb()
    const doc = await factories(db).knowledgeDocument({ unfinishedAttempts: 2, contentType: 'text/plain' })
    await deliver([message(doc.id)])
    // No file in storage: an error, but one this run recorded.
    expect(await documentRow(db, doc.id)).toMatchObject({ status: 'error', unfinishedAttempts: 0 })
  })
})

describe('stale processing sweep', () => {
  it('requeues documents whose consumer died, fails those out of attempts, leaves live ones alone', async () => {
    const { db } = testDb()
    const f = factories(db)
    const kb = await f.knowledgeBase()
    const processing = (startedAt: string, attempts: number) =>
      f.knowledgeDocument({
        knowledgeBaseId: kb.id,
        customerId: kb.customerId,
        status: 'processing',
        processingStartedAt: at(startedAt),
        unfinishedAttempts: attempts,
      })
    const died = await processing('2010-01-01T11:00:00Z', 1)
    const diedOften = await processing('2010-01-01T10:00:00Z', MAX_PROCESSING_ATTEMPTS)
    const running = await processing('2010-01-01T11:58:00Z', 1)
    const { queues, sent } = recordingDocumentQueues()

    const result = await sweepStaleDocuments({ db, queues, logger: createLogger({}, 'silent'), now: NOW, limit: 100 })

    expect(result).toEqual({ requeued: 1, failed: 1 })
    expect(sent).toEqual([{ documentId: died.id }])
    expect(await documentRow(db, died.id)).toMatchObject({ status: 'pending', unfinishedAttempts: 1 })
    // Cut off too often: its customer cannot re-index it (test/knowledge/limit-failures.test.ts), an operator can.
    expect(await documentRow(db, diedOften.id)).toMatchObject({
      status: 'error',
      errorMessage: CUT_OFF_MESSAGE,
      failedOnLimits: true,
    })
    expect(await documentRow(db, died.id)).toMatchObject({ failedOnLimits: false })
    expect((await documentRow(db, running.id))!.status).toBe('processing')
    // A second sweep finds nothing left to do.
    expect(await sweepStaleDocuments({ db, queues, logger: createLogger({}, 'silent'), now: NOW, limit: 100 })).toEqual(
      {
        requeued: 0,
        failed: 0,
      },
    )
  })

  it('marks a document it cannot requeue as error, saying to re-index', async () => {
    const { db } = testDb()
    const f = factories(db)
    const kb = await f.knowledgeBase()
    const died = await f.knowledgeDocument({
      knowledgeBaseId: kb.id,
      customerId: kb.customerId,
      status: 'processing',
      processingStartedAt: at('2010-01-01T11:30:00Z'),
      unfinishedAttempts: 1,
    })
    const result = await sweepStaleDocuments({
      db,
      queues: failingDocumentQueues(),
      logger: createLogger({}, 'silent'),
      now: NOW,
      limit: 100,
    })
    expect(result).toEqual({ requeued: 0, failed: 0 })
    expect(await documentRow(db, died.id)).toMatchObject({
      status: 'error',
      errorMessage: expect.stringContaining('re-index it to try again'),
    })
  })

  it('runs with the 15-minute cron', async () => {
    const { db } = testDb()
    const doc = await factories(db).knowledgeDocument({
      status: 'processing',
      processingStartedAt: at('1998-12-01T00:00:00Z'),
      unfinishedAttempts: MAX_PROCESSING_ATTEMPTS,
    })
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: GRACE_EXPIRY_CRON, scheduledTime: at('1999-01-01T00:15:00Z') }),
      env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(await documentRow(db, doc.id)).toMatchObject({ status: 'error', errorMessage: CUT_OFF_MESSAGE })
  })
})
