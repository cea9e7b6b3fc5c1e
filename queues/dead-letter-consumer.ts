import type { DbSettings } from '../src/db/client'
import { giveUpOnDocument } from '../src/knowledge/process-document'
import type { Logger } from '../src/platform/logger'
import { documentMessages } from './document-consumer'
import { consumeEachMessage } from './each-message'

/** Messages whose retries ran out: their documents are marked `error` for good. */
export async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  deps: { config: DbSettings; logger: Logger },
): Promise<void> {
  await consumeEachMessage(
    batch,
    {
      ...deps,
      ...documentMessages,
      kind: 'dead-lettered document message',
    },
    async ({ documentId }, _message, db) => {
      await giveUpOnDocument(db, documentId)
      deps.logger.warn('document gave up after retries', { document_id: documentId })
      return 'ack'
    },
  )
}
