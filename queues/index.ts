import type { Bindings } from '../src/types'

export const DOCUMENT_QUEUE = 'echoforge-documents'
export const DOCUMENT_DEAD_LETTER_QUEUE = 'echoforge-documents-dlq'

/** Entry for every queue this Worker consumes; dispatches by queue name. */
export async function handleQueue(batch: MessageBatch<unknown>, _env: Bindings, _ctx: ExecutionContext) {
  // Filled in by the knowledge-base pipeline (document processing and its dead-letter queue).
  for (const message of batch.messages) message.retry()
}
