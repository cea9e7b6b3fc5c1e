import { dbSettingsOf } from '../src/db/client'
import { edgePublisher } from '../src/edge/publish'
import { beginInvocation } from '../src/platform/invocation'
import type { Bindings } from '../src/types'
import { USAGE_DEAD_LETTER_QUEUE, USAGE_QUEUE } from './queue-names'
import { consumeUsage } from './usage-consumer'

export * from './queue-names'

/**
 * The main Worker's queue entry: usage reports queued during an outage. Documents are consumed by the
 * extraction Worker (queues/extraction-worker.ts), never here.
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings, _ctx: ExecutionContext) {
  const invocation = beginInvocation(env, { queue: batch.queue })
  if (!invocation.ok) {
    batch.retryAll({ delaySeconds: 60 })
    return
  }
  const { config, logger } = invocation
  const edge = edgePublisher(env, dbSettingsOf(config), logger)
  const usage = async (deadLetter: boolean) => {
    try {
      await consumeUsage(batch, { config, logger, deadLetter, edge })
    } finally {
      await edge.flush()
    }
  }
  if (batch.queue === USAGE_QUEUE) return usage(false)
  if (batch.queue === USAGE_DEAD_LETTER_QUEUE) return usage(true)
  logger.error('message from an unknown queue; retrying later', { messages: batch.messages.length })
  batch.retryAll({ delaySeconds: 300 })
}
