import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { toJSONSchema } from 'zod'
import { ingestUsageBatch } from '../../../billing/rules/usage-ingest'
import { queueUsageReports } from '../../../billing/rules/usage-queue'
import {
  MAX_BATCH_BODY_BYTES,
  MAX_REPORTS_PER_BATCH,
  REJECTION_REASONS,
  usageReportSchema,
} from '../../../billing/rules/usage-report'
import { isDatabaseUnavailable } from '../../../db/unavailable'
import { TooLarge, Unavailable } from '../../../errors'
import type { HonoEnv } from '../../../types'
import { errorResponses, internalRoute } from './schemas'

const usageReportJsonSchema = toJSONSchema(usageReportSchema, { target: 'draft-2020-12', io: 'input' })

/**
 * Reports are validated one by one in the domain (a bad report must not sink the batch), so the body
 * schema only checks the envelope; the documented item type is the report schema.
 */
const batchBody = z.object({
  reports: z
    .array(z.unknown())
    .openapi({ type: 'array', items: usageReportJsonSchema as never, maxItems: MAX_REPORTS_PER_BATCH }),
})

const reportErrors = z.array(
  z.object({
    index: z.number().int(),
    request_id: z.string().nullable(),
    reason: z.enum(REJECTION_REASONS),
    message: z.string(),
  }),
)

export const usageBatchResultSchema = z
  .object({ accepted: z.number().int(), rejected: z.number().int(), errors: reportErrors })
  .openapi('UsageBatchResult')

export const usageBatchQueuedSchema = z
  .object({
    queued: z.number().int().openapi({ description: 'Reports kept to be counted once the database is back' }),
    rejected: z.number().int(),
    errors: reportErrors,
  })
  .openapi('UsageBatchQueued')

export const usageBatchRoute = internalRoute({
  method: 'post',
  path: '/usage/batch',
  summary: 'Usage reports from the runtime (up to 1,000); a request_id counts once, ever',
  description: [
    "Each report counts once, in the customer's billing period that contains its timestamp: a late report for",
    'a closed period feeds that period (and its overage), not the current limits; a report after the stored',
    "period's end (renewal not known yet) counts in the next period. Refused with a reason: `too_old` (older",
    'than the billing setting late_usage_window_days, default 35), `before_subscription`, `no_billing_period`',
    '(between two subscriptions), `timestamp_in_future` (over 5 minutes ahead), `unknown_agent`,',
    '`no_subscription`, `duplicate_request_id`, `invalid_report`.',
  ].join(' '),
  request: { body: { required: true, content: { 'application/json': { schema: batchBody } } } },
  responses: {
    200: {
      description: 'How many reports were counted, and why the others were not',
      content: { 'application/json': { schema: usageBatchResultSchema } },
    },
    202: {
      description:
        'The database is unreachable: the reports that passed the checks not needing it are queued and ' +
        'will be counted when it is back (a request_id still counts once); do not resend them',
      content: { 'application/json': { schema: usageBatchQueuedSchema } },
    },
    ...errorResponses([400, 401, 413, 503], {
      413: `More than ${MAX_REPORTS_PER_BATCH} reports, or a body over ${MAX_BATCH_BODY_BYTES} bytes`,
      503: 'The database is unreachable and the reports could not be queued either; resend the batch later',
    }),
  },
})

export function registerUsageBatch(api: OpenAPIHono<HonoEnv>) {
  api.openapi(usageBatchRoute, async (c) => {
    const { reports } = c.req.valid('json')
    if (reports.length > MAX_REPORTS_PER_BATCH) {
      throw new TooLarge(`At most ${MAX_REPORTS_PER_BATCH} reports per batch; split it`)
    }
    const { database, logger } = c.var.services
    let result: Awaited<ReturnType<typeof ingestUsageBatch>>
    try {
      result = await ingestUsageBatch(database.db, reports, new Date(), c.var.services.edge)
    } catch (error) {
      // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
      if (!isDatabaseUnavailable(error)) throw error
      // The runtime cannot easily keep reports: queue them rather than answer 503.
      const queued = await queueUsageReports(c.env.USAGE_QUEUE, reports).catch((queueError: unknown) => {
        logger.error('usage reports could not be queued either', { error: queueError })
        throw new Unavailable('Usage cannot be recorded right now; send the batch again later')
      })
      logger.warn('database unavailable; usage reports queued', { queued: queued.queued, error })
      return c.json(queued, 202)
    }
    return c.json(result, 200)
  })
}
