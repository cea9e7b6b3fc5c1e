import type { AppConfig } from '../src/env'
import { giveUpOnDocument } from '../src/knowledge/process-document'
import { documentMessageSchema } from '../src/knowledge/queue-message'
import type { Logger } from '../src/platform/logger'
import { consumeEachMessage } from './each-message'

/** Messages whose retries ran out: their documents are marked `error` for good. */
export async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  deps: { config: AppConfig; logger: Logger },
): Promise<void> {
  await consumeEachMessage(
    batch,
    {
      ...deps,
      kind: 'dead-lettered document message',
      schema: documentMessageSchema,
      describe: ({ documentId }) => ({ document_id: documentId }),
    },
    async ({ documentId }, _message, db) => {
      await giveUpOnDocument(db, documentId)
      deps.logger.warn('document gave up after retries', { document_id: documentId })
      return 'ack'
    },
  )
}
