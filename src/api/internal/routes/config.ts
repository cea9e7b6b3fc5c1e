import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { agentConfigFromRow } from '../../../agents/config'
import { readAgentRow, STATE_UNAVAILABLE_MESSAGE, Unconfirmed } from '../../../edge/hot-path'
import { Unavailable } from '../../../errors'
import type { HonoEnv } from '../../../types'
import { agentIdHeader, assertCallerMayAct, customerSuspended } from '../auth'
import { servedFrom } from '../served-from'
import { agentHeader, agentIdParams, asOfSchema, canRespondSchema, errorResponses, internalRoute } from './schemas'

export const agentConfigSchema = z
  .object({
    agent_id: z.string(),
    agent_type: z.string(),
    customer_id: z.string(),
    is_active: z.boolean(),
    identity: z.object({ name: z.string(), greeting: z.string().nullable() }).catchall(z.unknown()),
    system_prompt: z.string(),
    knowledge_base: z.object({ id: z.string(), name: z.string(), enabled: z.boolean() }).nullable(),
    billing: canRespondSchema.extend({ can_respond: z.boolean() }),
    embed_domains: z.array(z.string()),
    configuration: z.record(z.string(), z.unknown()),
    config_version: z.string(),
    as_of: asOfSchema,
  })
  .openapi('AgentConfig')

export const configRoute = internalRoute({
  method: 'get',
  path: '/agent/{agent_id}/config',
  summary: 'Everything the runtime needs to run an agent; ETag = config_version',
  request: { params: agentIdParams, headers: agentHeader(true) },
  responses: {
    200: { description: 'The agent config', content: { 'application/json': { schema: agentConfigSchema } } },
    304: { description: 'Unchanged since the config_version in If-None-Match' },
    ...errorResponses([400, 401, 403, 404, 503]),
  },
})

/** True when an `If-None-Match` list names this entity tag (weak or strong) or is `*`. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '')
    return t === '*' || t === etag
  })
}

export function registerConfig(api: OpenAPIHono<HonoEnv>) {
  api.openapi(configRoute, async (c) => {
    const callerId = agentIdHeader(c.req.header('X-Agent-Instance-ID'))
    const { agent_id } = c.req.valid('param')
    const read = await readAgentRow({ env: c.env, services: c.var.services }, 'config', agent_id, callerId)
    servedFrom(c, read.source)
    if (read.value instanceof Unconfirmed) throw new Unavailable(STATE_UNAVAILABLE_MESSAGE)
    const row = read.value
    assertCallerMayAct(row, callerId)
    if (row.customer_is_active !== true) throw customerSuspended()
    const config = await agentConfigFromRow(row)
    const etag = `"${config.config_version}"`
    c.header('ETag', etag)
    c.header('Cache-Control', 'no-cache')
    if (matchesIfNoneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304)
    return c.json({ ...config, as_of: read.asOf.toISOString() }, 200)
  })
}
