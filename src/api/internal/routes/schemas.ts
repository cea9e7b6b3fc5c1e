import { createRoute, type RouteConfig, z } from '@hono/zod-openapi'
import { CAN_RESPOND_REASONS } from '../../../billing/rules/can-respond'
import { errorEnvelopeSchema } from '../../../http/errors'
import { UUID } from '../../../platform/uuid'

export const agentIdParams = z.object({
  agent_id: z
    .string()
    .regex(UUID, 'agent_id must be a UUID')
    .openapi({ param: { name: 'agent_id', in: 'path' }, example: '3f1c2a4e-8d7b-4c1e-9a2f-5b6d7e8f9a0b' }),
})

export const agentHeader = (required: boolean) =>
  z.object({
    'x-agent-instance-id': z
      .string()
      .optional()
      .openapi({
        param: { in: 'header', required },
        description: required
          ? 'The agent the runtime acts for; must be the agent in the path.'
          : 'Optional; when sent it must be the agent in the path.',
      }),
  })

const ERROR_DESCRIPTIONS = {
  400: 'The request is not valid',
  401: 'Missing or wrong service secret, or an unknown agent in X-Agent-Instance-ID',
  403: 'The agent is inactive, not the agent in the path, or its customer is suspended',
  404: 'No such agent, or no such record of its customer',
  409: 'The record is not in a state that allows this (e.g. an integration that must be reconnected)',
  413: 'The body is too large',
  429: 'Too many requests of this kind for the customer right now; retry after Retry-After seconds',
  503: 'The database or a provider is unreachable right now; retry later (see Retry-After)',
} as const

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS

/** The error envelope for each status, described; `overrides` says more where a route knows more. */
export function errorResponses(statuses: ErrorStatus[], overrides: Partial<Record<ErrorStatus, string>> = {}) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: overrides[status] ?? ERROR_DESCRIPTIONS[status],
        content: { 'application/json': { schema: errorEnvelopeSchema } },
      },
    ]),
  )
}

export const serviceSecurity = [{ serviceSecret: [] }]

/** A route under /api/internal: the service secret is its security, like every route there. */
export const internalRoute = <P extends string, R extends Omit<RouteConfig, 'path' | 'security'> & { path: P }>(
  route: R,
) => createRoute({ ...route, security: serviceSecurity })

/** When the state behind a hot-path answer was last confirmed against Postgres (ISO 8601). */
export const asOfSchema = z.string().openapi({
  description:
    'When the state this answer is decided on was last confirmed against the database; the edge may answer from a copy (README "The hot path at the edge")',
})

const metricMap = z.object({ messages: z.number().optional(), tokens: z.number().optional() })

export const canRespondSchema = z
  .object({
    allowed: z.boolean(),
    in_grace_period: z.boolean(),
    reason: z.string().nullable().openapi({
      description:
        'Why not, or why only thanks to the extra balance or a grace period; `customer_suspended` for a customer an operator suspended',
    }),
    reason_code: z.enum(CAN_RESPOND_REASONS).nullable(),
    grace_period_ends_at: z.string().nullable(),
    usage_remaining: metricMap,
    usage: z.object({
      messages: z.number(),
      tokens: z.number(),
      input_tokens: z.number(),
      output_tokens: z.number(),
    }),
    limits: metricMap,
    over_limit: z.array(z.enum(['messages', 'tokens'])),
    extra_balance_cents: z.number(),
    subscription_status: z.string().nullable(),
    plan: z.string().nullable(),
    period_start: z.string().nullable(),
    period_end: z.string().nullable(),
    trial_ends_at: z.string().nullable(),
  })
  .openapi('CanRespond')
