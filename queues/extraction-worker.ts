// The extraction Worker (wrangler.extraction.toml): reads, chunks and embeds uploaded documents off
// the documents queues (the main and the suspect lane, src/knowledge/document-lanes.ts), in isolates
// of its own, so a file that exhausts memory or CPU there never takes down an API or page request of
// the main Worker (src/index.ts).
import { createLogger } from '../src/platform/logger'
import { consumeDeadLetters } from './dead-letter-consumer'
import { consumeDocuments } from './document-consumer'
import { type EXTRACTION_ENV_KEYS, extractionEnvSchema } from './extraction-env'
import { DOCUMENT_DEAD_LETTER_QUEUE, DOCUMENT_QUEUE, SUSPECT_DOCUMENT_QUEUE } from './queue-names'

export type ExtractionBindings = { UPLOADS: R2Bucket } & { [K in (typeof EXTRACTION_ENV_KEYS)[number]]?: string }

export async function handleExtractionQueue(
  batch: MessageBatch<unknown>,
  env: ExtractionBindings,
  _ctx: ExecutionContext,
) {
  const fields = { queue: batch.queue }
  const parsed = extractionEnvSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ')
    createLogger(fields).error('bad environment', { problems })
    batch.retryAll({ delaySeconds: 60 })
    return
  }
  const config = parsed.data
  const logger = createLogger(fields, config.LOG_LEVEL)
  if (batch.queue === DOCUMENT_QUEUE || batch.queue === SUSPECT_DOCUMENT_QUEUE)
    return consumeDocuments(batch, { config, logger, bucket: env.UPLOADS })
  if (batch.queue === DOCUMENT_DEAD_LETTER_QUEUE) return consumeDeadLetters(batch, { config, logger })
  logger.error('message from an unknown queue; retrying later', { messages: batch.messages.length })
  batch.retryAll({ delaySeconds: 300 })
}

export default { queue: handleExtractionQueue } satisfies ExportedHandler<ExtractionBindings>
