import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { keyOwnerFor } from '../../../agents/api-keys'
import { readKeyRecord } from '../../../edge/hot-path'
import { HttpError } from '../../../http/errors'
import type { HonoEnv } from '../../../types'
import { servedFrom } from '../served-from'
import { errorResponses, internalRoute } from './schemas'

export const validateKeySchema = z
  .object({
    valid: z.boolean(),
    agent_instance_id: z.string().optional(),
    is_active: z.boolean().optional(),
    customer_id: z.string().optional(),
    agent_type: z.string().optional(),
    name: z.string().optional(),
    knowledge_base_id: z.string().nullable().optional(),
  })
  .openapi('ValidateKey')

export const validateKeyRoute = internalRoute({
  method: 'get',
  path: '/agent/validate-key',
  summary:
    "Checks an agent's API key (X-API-Key); 200 {valid: false} for any unknown, malformed or wrong key, and for a suspended customer's keys",
  request: {
    headers: z.object({
      'x-api-key': z
        .string()
        .optional()
        .openapi({ param: { in: 'header', required: true } }),
      'x-agent-instance-id': z
        .string()
        .optional()
        .openapi({
          param: { in: 'header', required: false },
          description: 'Optional; when sent, the key is valid only if it belongs to this agent.',
        }),
    }),
  },
  responses: {
    200: {
      description: 'Whether the key is valid, and whose it is',
      content: { 'application/json': { schema: validateKeySchema } },
    },
    ...errorResponses([400, 401, 503]),
  },
})

const INVALID = { valid: false } as const

export function registerValidateKey(api: OpenAPIHono<HonoEnv>) {
  api.openapi(validateKeyRoute, async (c) => {
    const key = c.req.header('X-API-Key')
    if (key === undefined) throw new HttpError('BAD_REQUEST', 'Send the API key to check in X-API-Key')
    const read = await readKeyRecord({ env: c.env, services: c.var.services }, key)
    servedFrom(c, read.source)
    const agent = keyOwnerFor(read.value, c.req.header('X-Agent-Instance-ID'))
    if (!agent) return c.json(INVALID, 200)
    return c.json(
      {
        valid: true,
        agent_instance_id: agent.id,
        is_active: agent.isActive,
        customer_id: agent.customerId,
        agent_type: agent.agentType,
        name: agent.name,
        knowledge_base_id: agent.knowledgeBaseId,
      },
      200,
    )
  })
}
