import { ingestUsageBatch } from '../src/billing/rules/usage-ingest'
import { usageQueueMessageSchema } from '../src/billing/rules/usage-queue'
import type { EdgePublisher } from '../src/edge/publish'
import type { AppConfig } from '../src/env'
import type { Logger } from '../src/platform/logger'
import { consumeEachMessage } from './each-message'

/**
 * Usage reports queued while the database was down (see POST /usage/batch). Each message is
 * ingested like a batch: a request_id already counted (a redelivery, or the runtime retried the
 * batch meanwhile) is refused again, so a report counts once however often it arrives. A message
 * is acknowledged only after its transaction committed; otherwise it is retried.
 */
export async function consumeUsage(
  batch: MessageBatch<unknown>,
  deps: { config: AppConfig; logger: Logger; deadLetter: boolean; edge?: EdgePublisher },
): Promise<void> {
  await consumeEachMessage(
    batch,
    { ...deps, kind: 'usage message', schema: usageQueueMessageSchema, describe: () => ({}) },
    async (body, message, db) => {
      const result = await ingestUsageBatch(db, body.reports, new Date(), deps.edge)
      const notCounted = result.errors.filter((e) => e.reason !== 'duplicate_request_id')
      deps.logger[deps.deadLetter || notCounted.length > 0 ? 'warn' : 'info']('queued usage ingested', {
        message_id: message.id,
        attempts: message.attempts,
        received_at: body.received_at,
        accepted: result.accepted,
        duplicates: result.errors.length - notCounted.length,
        not_counted: notCounted.map((e) => ({ request_id: e.request_id, reason: e.reason })),
      })
      return 'ack'
    },
  )
}
