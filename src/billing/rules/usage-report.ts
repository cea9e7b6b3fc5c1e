import { z } from 'zod'
import { isUuid } from '../../platform/uuid'

export const MAX_REPORTS_PER_BATCH = 1000
/** Far above 1,000 reports of any sensible size; a larger body is refused before it is parsed. */
export const MAX_BATCH_BODY_BYTES = 2 * 1024 * 1024
/** Per report: far above one chat turn, low enough that 1,000 of them cannot overflow a sum. */
export const MAX_MESSAGES_PER_REPORT = 100_000
export const MAX_TOKENS_PER_REPORT = 100_000_000
/** Clock skew tolerated between the runtime and the Hub. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000

const count = (max: number) => z.number().int().nonnegative().max(max)

export const usageReportSchema = z.object({
  agent_instance_id: z.string().refine(isUuid, 'must be a UUID'),
  timestamp: z.iso.datetime({ offset: true }),
  metrics: z
    .object({
      messages: count(MAX_MESSAGES_PER_REPORT).optional(),
      input_tokens: count(MAX_TOKENS_PER_REPORT).optional(),
      output_tokens: count(MAX_TOKENS_PER_REPORT).optional(),
    })
    .refine((m) => m.messages !== undefined || m.input_tokens !== undefined || m.output_tokens !== undefined, {
      message: 'needs at least one of messages, input_tokens, output_tokens',
    }),
  request_id: z.string().regex(/^[\x20-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters'),
})
export type UsageReport = z.infer<typeof usageReportSchema>

export const REJECTION_REASONS = [
  'invalid_report',
  'duplicate_request_id',
  'unknown_agent',
  'no_subscription',
  'before_subscription',
  'no_billing_period',
  'too_old',
  'timestamp_in_future',
] as const
export type RejectionReason = (typeof REJECTION_REASONS)[number]

export const rejectionMessages: Record<RejectionReason, string> = {
  invalid_report: 'The report is not valid',
  duplicate_request_id: 'This request_id has already been counted',
  unknown_agent: 'No agent with this agent_instance_id',
  no_subscription: "The agent's customer has no subscription, so there is no billing period to count it in",
  before_subscription: "The timestamp is before the first billing period of the agent's customer",
  no_billing_period:
    "No billing period of the agent's customer contains the timestamp (it falls between two subscriptions)",
  too_old: 'The timestamp is older than the late-report window (billing setting late_usage_window_days)',
  timestamp_in_future: 'The timestamp is in the future',
}

export interface UsageReportError {
  index: number
  request_id: string | null
  reason: RejectionReason
  message: string
}

export interface ValidReport {
  index: number
  requestId: string
  agentId: string
  reportedAt: Date
  messages: number
  inputTokens: number
  outputTokens: number
}

/** Validates each report on its own; within a batch the first report with a request_id wins. */
export function screenReports(reports: readonly unknown[], now: Date) {
  const valid: ValidReport[] = []
  const errors: UsageReportError[] = []
  const seen = new Set<string>()
  for (const [index, raw] of reports.entries()) {
    const rawRequestId = (raw as { request_id?: unknown } | null)?.request_id
    const requestId = typeof rawRequestId === 'string' ? rawRequestId.slice(0, 200) : null
    const rejection = judge(raw, seen, now)
    if ('reason' in rejection) {
      errors.push({ index, request_id: requestId, ...rejection })
      continue
    }
    valid.push({ index, ...rejection.report })
  }
  return { valid, errors }
}

type Judgement = { reason: RejectionReason; message: string } | { report: Omit<ValidReport, 'index'> }

function judge(raw: unknown, seen: Set<string>, now: Date): Judgement {
  const reject = (reason: RejectionReason, message = rejectionMessages[reason]) => ({ reason, message })
  const parsed = usageReportSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'report'}: ${i.message}`)
    return reject('invalid_report', `The report is not valid: ${issues.join('; ')}`)
  }
  const report = parsed.data
  if (seen.has(report.request_id)) return reject('duplicate_request_id', 'This request_id appears twice in the batch')
  seen.add(report.request_id)
  const reportedAt = new Date(report.timestamp)
  if (Number.isNaN(reportedAt.getTime()))
    return reject('invalid_report', 'The report is not valid: timestamp: no such date')
  if (reportedAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) return reject('timestamp_in_future')
  return {
    report: {
      requestId: report.request_id,
      agentId: report.agent_instance_id.toLowerCase(),
      reportedAt,
      messages: report.metrics.messages ?? 0,
      inputTokens: report.metrics.input_tokens ?? 0,
      outputTokens: report.metrics.output_tokens ?? 0,
    },
  }
}
