import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { INTEGRATION_STATUSES } from '../../../db/schema'
import { getCredentials } from '../../../integrations/credentials'
import { listIntegrations } from '../../../integrations/queries'
import type { HonoEnv } from '../../../types'
import { agentAuth } from '../auth'
import { errorResponses, internalRoute } from './schemas'

const agentHeader = z.object({
  'x-agent-instance-id': z.string().openapi({ description: 'The agent the runtime acts for (UUID)' }),
})

const integrationSummary = z
  .object({
    id: z.uuid(),
    provider: z.object({ id: z.uuid(), slug: z.string(), name: z.string() }),
    account_id: z.string(),
    account_name: z.string(),
    status: z.enum(INTEGRATION_STATUSES),
    scopes: z.string(),
    token_expires_at: z.string().nullable(),
    connected: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('IntegrationSummary')

const credentials = z
  .object({
    integration_id: z.uuid(),
    provider: z.string(),
    account_id: z.string(),
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_at: z.string().nullable(),
    scopes: z.string(),
  })
  .openapi('IntegrationCredentials')

const listRoute = internalRoute({
  method: 'get',
  path: '/integrations',
  summary: "The agent's customer's integrations (no secrets)",
  middleware: [agentAuth()] as const,
  request: { headers: agentHeader },
  responses: {
    200: {
      description: 'Integrations',
      content: { 'application/json': { schema: z.object({ integrations: z.array(integrationSummary) }) } },
    },
    ...errorResponses([401, 403, 503]),
  },
})

const credentialsRoute = internalRoute({
  method: 'get',
  path: '/integrations/{id}/credentials',
  summary: 'Decrypted credentials of one integration, refreshed first when expired',
  middleware: [agentAuth()] as const,
  request: { headers: agentHeader, params: z.object({ id: z.uuid() }) },
  responses: {
    200: { description: 'Credentials', content: { 'application/json': { schema: credentials } } },
    ...errorResponses([400, 401, 403, 404, 409, 503], {
      404: "No such integration of the agent's customer",
      409: 'The integration must be reconnected (revoked, or its refresh failed)',
    }),
  },
})

export function registerIntegrationRoutes(api: OpenAPIHono<HonoEnv>) {
  api.openapi(listRoute, async (c) => {
    const { db } = c.var.services.database
    const integrations = await listIntegrations(db, c.var.agent.customerId)
    return c.json({ integrations }, 200)
  })

  api.openapi(credentialsRoute, async (c) => {
    const { config, logger, database } = c.var.services
    const result = await getCredentials(
      database.db,
      { keys: config.ENCRYPTION_KEY, logger },
      { customerId: c.var.agent.customerId, integrationId: c.req.valid('param').id },
    )
    c.header('Cache-Control', 'no-store')
    return c.json(result, 200)
  })
}
