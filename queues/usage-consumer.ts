import { ingestUsageBatch } from '../src/billing/rules/usage-ingest'
import { usageQueueMessageSchema } from '../src/billing/rules/usage-queue'
import { createDb } from '../src/db/client'
import { isDatabaseUnavailable } from '../src/db/unavailable'
import type { AppConfig } from '../src/env'
import type { Logger } from '../src/platform/logger'
import { retryDelaySeconds } from './backoff'

/**
 * Usage reports queued while the database was down (see POST /usage/batch). Each message is
 * ingested like a batch: a request_id already counted (a redelivery, or the runtime retried the
 * batch meanwhile) is refused again, so a report counts once however often it arrives. A message
 * is acknowledged only after its transaction committed; otherwise it is retried.
 */
export async function consumeUsage(
  batch: MessageBatch<unknown>,
  deps: { config: AppConfig; logger: Logger; deadLetter: boolean },
): Promise<void> {
  const database = createDb(deps.config)
  try {
    for (const message of batch.messages) {
      const body = usageQueueMessageSchema.safeParse(message.body)
      if (!body.success) {
        deps.logger.error('malformed usage message dropped', { message_id: message.id })
        message.ack()
        continue
      }
      try {
        const result = await ingestUsageBatch(database.db, body.data.reports)
        const notCounted = result.errors.filter((e) => e.reason !== 'duplicate_request_id')
        deps.logger[deps.deadLetter || notCounted.length > 0 ? 'warn' : 'info']('queued usage ingested', {
          message_id: message.id,
          attempts: message.attempts,
          received_at: body.data.received_at,
          accepted: result.accepted,
          duplicates: result.errors.length - notCounted.length,
          not_counted: notCounted.map((e) => ({ request_id: e.request_id, reason: e.reason })),
        })
        message.ack()
      } catch (error) {
        const log = isDatabaseUnavailable(error) ? deps.logger.warn : deps.logger.error
        log('queued usage not ingested yet; retrying', { message_id: message.id, attempts: message.attempts, error })
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
      }
    }
  } finally {
    await database.close()
  }
}
