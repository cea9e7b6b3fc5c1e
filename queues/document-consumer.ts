import type { AppConfig } from '../src/env'
import { processDocument } from '../src/knowledge/process-document'
import { documentMessageSchema } from '../src/knowledge/queue-message'
import type { Logger } from '../src/platform/logger'
import { consumeEachMessage } from './each-message'

interface Deps {
  config: AppConfig
  logger: Logger
  bucket: R2Bucket
}

/**
 * A document can take much of the Worker's memory: wrangler.toml sets `max_batch_size = 1`, so a
 * run killed for CPU or memory costs only its own message an attempt.
 */
export async function consumeDocuments(batch: MessageBatch<unknown>, deps: Deps): Promise<void> {
  await consumeEachMessage(
    batch,
    {
      ...deps,
      kind: 'document message',
      schema: documentMessageSchema,
      describe: ({ documentId }) => ({ document_id: documentId }),
    },
    async ({ documentId }, message, db) => {
      const outcome = await processDocument(
        { db, bucket: deps.bucket, config: deps.config, logger: deps.logger },
        documentId,
      )
      deps.logger.info('document message handled', { document_id: documentId, attempts: message.attempts, ...outcome })
      return outcome.status === 'failed' && !outcome.permanent ? 'retry' : 'ack'
    },
  )
}
