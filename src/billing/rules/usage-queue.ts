import { z } from 'zod'
import { screenReports, type UsageReportError } from './usage-report'

/** Reports per queue message: ~20 KB, well inside a Queues message's 128 KB. */
const REPORTS_PER_MESSAGE = 100

export const usageQueueMessageSchema = z.object({
  received_at: z.string(),
  reports: z.array(z.unknown()).max(REPORTS_PER_MESSAGE),
})
export type UsageQueueMessage = z.infer<typeof usageQueueMessageSchema>

export interface QueuedUsageBatch {
  queued: number
  rejected: number
  errors: UsageReportError[]
}

/**
 * While the database is unreachable: the reports that pass every check not needing the database
 * go on the usage queue (its consumer ingests them later, by the same request_id rule); the others
 * are answered now, as they would be had the database been up.
 */
export async function queueUsageReports(
  queue: Queue,
  reports: readonly unknown[],
  now: Date = new Date(),
): Promise<QueuedUsageBatch> {
  const { valid, errors } = screenReports(reports, now)
  const compact = valid.map((r) => ({
    request_id: r.requestId,
    agent_instance_id: r.agentId,
    timestamp: r.reportedAt.toISOString(),
    metrics: { messages: r.messages, input_tokens: r.inputTokens, output_tokens: r.outputTokens },
  }))
  const messages: UsageQueueMessage[] = []
  for (let start = 0; start < compact.length; start += REPORTS_PER_MESSAGE) {
    messages.push({ received_at: now.toISOString(), reports: compact.slice(start, start + REPORTS_PER_MESSAGE) })
  }
  await Promise.all(messages.map((body) => queue.send(body)))
  return { queued: compact.length, rejected: errors.length, errors }
}
