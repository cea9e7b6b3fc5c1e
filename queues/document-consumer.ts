import type { DbSettings } from '../src/db/client'
import type { EmbeddingsConfig } from '../src/knowledge/embeddings'
import { processDocument } from '../src/knowledge/process-document'
import { documentMessageSchema } from '../src/knowledge/queue-message'
import type { Logger } from '../src/platform/logger'
import { consumeEachMessage } from './each-message'

interface Deps {
  config: DbSettings & EmbeddingsConfig
  logger: Logger
  bucket: R2Bucket
}

/** How a document message reads and what of it a log may name (its dead letters read the same). */
export const documentMessages = {
  schema: documentMessageSchema,
  describe: ({ documentId }: { documentId: string }) => ({ document_id: documentId }),
}

/**
 * A document can take much of the Worker's memory: wrangler.extraction.toml sets `max_batch_size = 1`,
 * so a run killed for CPU or memory costs only its own message an attempt.
 */
export async function consumeDocuments(batch: MessageBatch<unknown>, deps: Deps): Promise<void> {
  await consumeEachMessage(
    batch,
    {
      ...deps,
      ...documentMessages,
      kind: 'document message',
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
