import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { canRespondFromRow, readCanRespondRow } from '../../../billing/rules/can-respond'
import type { HonoEnv } from '../../../types'
import { agentIdHeader, assertCallerMayAct } from '../auth'
import { agentHeader, agentIdParams, canRespondSchema, errorResponses, internalRoute } from './schemas'

export const canRespondRoute = internalRoute({
  method: 'get',
  path: '/billing/can-respond/{agent_id}',
  summary: 'May the agent respond now (subscription, trial, plan limits, extra balance, grace period)',
  request: { params: agentIdParams, headers: agentHeader(false) },
  responses: {
    200: {
      description: 'The answer, with the reason and what is left of each limit',
      content: {
        'application/json': {
          schema: canRespondSchema.extend({ agent_id: z.string(), customer_id: z.string() }),
        },
      },
    },
    ...errorResponses([400, 401, 403, 404, 503]),
  },
})

export function registerCanRespond(api: OpenAPIHono<HonoEnv>) {
  api.openapi(canRespondRoute, async (c) => {
    const header = c.req.header('X-Agent-Instance-ID')
    const callerId = header === undefined ? null : agentIdHeader(header)
    const { agent_id } = c.req.valid('param')
    const row = await readCanRespondRow(c.var.services.database.db, callerId, agent_id)
    assertCallerMayAct(row, callerId)
    const { agent_is_active: _active, ...answer } = canRespondFromRow(row)
    return c.json(answer, 200)
  })
}
