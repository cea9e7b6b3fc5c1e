import { and, asc, eq, lt } from 'drizzle-orm'
import type { Database } from '../db/client'
import { knowledgeDocuments } from '../db/schema'
import type { Logger } from '../platform/logger'
import type { DocumentQueues } from './document-lanes'
import { MAX_PROCESSING_ATTEMPTS, STALE_PROCESSING_MINUTES } from './limits'
import { CUT_OFF_MESSAGE } from './process-document'
import { enqueueDocument } from './queue-message'

const QUEUE_FAILED = 'The document could not be queued for processing again; re-index it to try again.'

/**
 * Documents left `processing` by a consumer that died (CPU or memory limit, a deploy): each goes back
 * on the queue, or, after MAX_PROCESSING_ATTEMPTS unfinished runs, to `error` for good. A row a live
 * consumer took meanwhile has a newer `processing_started_at` and is left alone.
 */
export async function sweepStaleDocuments(deps: {
  db: Database
  queues: DocumentQueues
  logger: Logger
  now: Date
  limit: number
}): Promise<{ requeued: number; failed: number }> {
  const { db } = deps
  const staleBefore = new Date(deps.now.getTime() - STALE_PROCESSING_MINUTES * 60_000)
  const stale = await db
    .select({
      id: knowledgeDocuments.id,
      customerId: knowledgeDocuments.customerId,
      startedAt: knowledgeDocuments.processingStartedAt,
      attempts: knowledgeDocuments.unfinishedAttempts,
    })
    .from(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.status, 'processing'), lt(knowledgeDocuments.processingStartedAt, staleBefore)))
    .orderBy(asc(knowledgeDocuments.processingStartedAt))
    .limit(deps.limit)
  let requeued = 0
  let failed = 0
  for (const doc of stale) {
    if (!doc.startedAt) continue
    const untouched = and(
      eq(knowledgeDocuments.id, doc.id),
      eq(knowledgeDocuments.status, 'processing'),
      eq(knowledgeDocuments.processingStartedAt, doc.startedAt),
    )
    const givingUp = doc.attempts >= MAX_PROCESSING_ATTEMPTS
    const [changed] = await db
      .update(knowledgeDocuments)
      .set(
        givingUp
          ? { status: 'error', errorMessage: CUT_OFF_MESSAGE, unfinishedAttempts: 0, failedOnLimits: true }
          : { status: 'pending', errorMessage: null },
      )
      .where(untouched)
      .returning({ id: knowledgeDocuments.id })
    if (!changed) continue
    if (givingUp) {
      failed++
      continue
    }
    try {
      await enqueueDocument(db, deps.queues, doc)
      requeued++
    } catch (error) {
      deps.logger.error('stale document not requeued', { document_id: doc.id, error })
      await db
        .update(knowledgeDocuments)
        .set({ status: 'error', errorMessage: QUEUE_FAILED })
        .where(and(eq(knowledgeDocuments.id, doc.id), eq(knowledgeDocuments.status, 'pending')))
    }
  }
  return { requeued, failed }
}
