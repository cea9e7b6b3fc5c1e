import { createDb } from '../src/db/client'
import type { AppConfig } from '../src/env'
import { processDocument } from '../src/knowledge/process-document'
import { documentMessageSchema } from '../src/knowledge/queue-message'
import type { Logger } from '../src/platform/logger'
import { retryDelaySeconds } from './backoff'

interface Deps {
  config: AppConfig
  logger: Logger
  bucket: R2Bucket
}

/**
 * One message at a time (a document can take much of the Worker's memory), each acknowledged or
 * retried on its own, so one bad file never sends the whole batch round again. wrangler.toml sets
 * `max_batch_size = 1`, so a run killed for CPU or memory costs only its own message an attempt.
 */
export async function consumeDocuments(batch: MessageBatch<unknown>, deps: Deps): Promise<void> {
  const database = createDb(deps.config)
  try {
    for (const message of batch.messages) {
      const body = documentMessageSchema.safeParse(message.body)
      if (!body.success) {
        deps.logger.error('malformed document message dropped', { message_id: message.id })
        message.ack()
        continue
      }
      const { documentId } = body.data
      try {
        const outcome = await processDocument(
          { db: database.db, bucket: deps.bucket, config: deps.config, logger: deps.logger },
          documentId,
        )
        deps.logger.info('document message handled', {
          document_id: documentId,
          attempts: message.attempts,
          ...outcome,
        })
        if (outcome.status === 'failed' && !outcome.permanent) {
          message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
        } else {
          message.ack()
        }
      } catch (error) {
        // Even marking the failure failed (e.g. the database is down): try again later.
        deps.logger.error('document message failed', { document_id: documentId, error })
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
      }
    }
  } finally {
    await database.close()
  }
}
