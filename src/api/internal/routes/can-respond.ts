import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { canRespondFromRow, stateUnavailable } from '../../../billing/rules/can-respond'
import { readAgentRow, STATE_UNAVAILABLE_MESSAGE, Unconfirmed } from '../../../edge/hot-path'
import type { HonoEnv } from '../../../types'
import { agentIdHeader, assertCallerMayAct } from '../auth'
import { servedFrom } from '../served-from'
import { agentHeader, agentIdParams, asOfSchema, canRespondSchema, errorResponses, internalRoute } from './schemas'

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
          schema: canRespondSchema.extend({ agent_id: z.string(), customer_id: z.string(), as_of: asOfSchema }),
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
    const read = await readAgentRow({ env: c.env, services: c.var.services }, 'can-respond', agent_id, callerId)
    servedFrom(c, read.source)
    const as_of = read.asOf.toISOString()
    if (read.value instanceof Unconfirmed) {
      const { customerId } = read.value
      return c.json({ agent_id, customer_id: customerId, ...stateUnavailable(STATE_UNAVAILABLE_MESSAGE), as_of }, 200)
    }
    assertCallerMayAct(read.value, callerId)
    const { agent_is_active: _active, ...answer } = canRespondFromRow(read.value)
    return c.json({ ...answer, as_of }, 200)
  })
}
