import type { z } from 'zod'
import { createDb, type Database, type DbSettings } from '../src/db/client'
import { isDatabaseUnavailable } from '../src/db/unavailable'
import type { Logger } from '../src/platform/logger'
import { retryDelaySeconds } from './backoff'

export type MessageOutcome = 'ack' | 'retry'

interface EachMessageOptions<Body> {
  config: DbSettings
  logger: Logger
  /** What a message is, for log lines ("document message"). */
  kind: string
  schema: z.ZodType<Body>
  /** Ids worth logging for a message (never its whole body). */
  describe: (body: Body) => Record<string, unknown>
}

/**
 * Handles a batch one message at a time on one database connection, each message acknowledged or
 * retried on its own, so one bad message never sends the others round again. A body that does not
 * match the schema can never succeed: it is logged and acknowledged. When `handle` throws (the
 * database is down, say), the message is retried with backoff: nothing is acknowledged that was not
 * committed.
 */
export async function consumeEachMessage<Body>(
  batch: MessageBatch<unknown>,
  options: EachMessageOptions<Body>,
  handle: (body: Body, message: Message<unknown>, db: Database) => Promise<MessageOutcome>,
): Promise<void> {
  const { logger, kind } = options
  const database = createDb(options.config, logger, 'background')
  try {
    for (const message of batch.messages) {
      const body = options.schema.safeParse(message.body)
      if (!body.success) {
        logger.error(`malformed ${kind} dropped`, { message_id: message.id })
        message.ack()
        continue
      }
      try {
        const outcome = await handle(body.data, message, database.db)
        if (outcome === 'ack') message.ack()
        else message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
      } catch (error) {
        const log = isDatabaseUnavailable(error) ? logger.warn : logger.error
        log(`${kind} not handled yet; retrying`, {
          message_id: message.id,
          attempts: message.attempts,
          ...options.describe(body.data),
          error,
        })
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
      }
    }
  } finally {
    await database.close()
  }
}
