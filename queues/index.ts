import { parseEnv } from '../src/env'
import { createLogger } from '../src/platform/logger'
import type { Bindings } from '../src/types'
import { consumeDeadLetters } from './dead-letter-consumer'
import { consumeDocuments } from './document-consumer'

export const DOCUMENT_QUEUE = 'echoforge-documents'
export const DOCUMENT_DEAD_LETTER_QUEUE = 'echoforge-documents-dlq'

/** Entry for every queue this Worker consumes; dispatches by queue name. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings, _ctx: ExecutionContext) {
  const parsed = parseEnv(env)
  if (!parsed.ok) {
    createLogger().error('bad environment', { problems: parsed.message })
    batch.retryAll({ delaySeconds: 60 })
    return
  }
  const logger = createLogger({ queue: batch.queue }, parsed.config.LOG_LEVEL)
  const queue = batch.queue.replace(/-(preview|staging|dev)$/, '')
  if (queue === DOCUMENT_DEAD_LETTER_QUEUE || batch.queue.endsWith('-dlq')) {
    return consumeDeadLetters(batch, { config: parsed.config, logger })
  }
  if (queue === DOCUMENT_QUEUE || batch.queue.endsWith('-documents')) {
    return consumeDocuments(batch, { config: parsed.config, logger, bucket: env.UPLOADS })
  }
  logger.error('message from an unknown queue; retrying later', { messages: batch.messages.length })
  batch.retryAll({ delaySeconds: 300 })
}
