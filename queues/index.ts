import { beginInvocation } from '../src/platform/invocation'
import type { Bindings } from '../src/types'
import { consumeDeadLetters } from './dead-letter-consumer'
import { consumeDocuments } from './document-consumer'
import { consumeUsage } from './usage-consumer'

export const DOCUMENT_QUEUE = 'echoforge-documents'
export const DOCUMENT_DEAD_LETTER_QUEUE = 'echoforge-documents-dlq'
export const USAGE_QUEUE = 'echoforge-usage'
export const USAGE_DEAD_LETTER_QUEUE = 'echoforge-usage-dlq'

/** Entry for every queue this Worker consumes; dispatches by queue name. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings, _ctx: ExecutionContext) {
  const invocation = beginInvocation(env, { queue: batch.queue })
  if (!invocation.ok) {
    batch.retryAll({ delaySeconds: 60 })
    return
  }
  const { config, logger } = invocation
  if (batch.queue === DOCUMENT_DEAD_LETTER_QUEUE) return consumeDeadLetters(batch, { config, logger })
  if (batch.queue === DOCUMENT_QUEUE) return consumeDocuments(batch, { config, logger, bucket: env.UPLOADS })
  if (batch.queue === USAGE_QUEUE) return consumeUsage(batch, { config, logger, deadLetter: false })
  if (batch.queue === USAGE_DEAD_LETTER_QUEUE) return consumeUsage(batch, { config, logger, deadLetter: true })
  logger.error('message from an unknown queue; retrying later', { messages: batch.messages.length })
  batch.retryAll({ delaySeconds: 300 })
}
