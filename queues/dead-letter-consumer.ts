import { createDb } from '../src/db/client'
import type { AppConfig } from '../src/env'
import { giveUpOnDocument } from '../src/knowledge/process-document'
import { documentMessageSchema } from '../src/knowledge/queue-message'
import type { Logger } from '../src/platform/logger'
import { retryDelaySeconds } from './backoff'

/** Messages whose retries ran out: their documents are marked `error` for good. */
export async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  deps: { config: AppConfig; logger: Logger },
): Promise<void> {
  const database = createDb(deps.config)
  try {
    for (const message of batch.messages) {
      const body = documentMessageSchema.safeParse(message.body)
      if (!body.success) {
        message.ack()
        continue
      }
      try {
        await giveUpOnDocument(database.db, body.data.documentId)
        deps.logger.warn('document gave up after retries', { document_id: body.data.documentId })
        message.ack()
      } catch (error) {
        deps.logger.error('dead letter not recorded', { document_id: body.data.documentId, error })
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
      }
    }
  } finally {
    await database.close()
  }
}
