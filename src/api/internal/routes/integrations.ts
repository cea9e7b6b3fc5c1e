import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { INTEGRATION_STATUSES } from '../../../db/schema'
import { getCredentials } from '../../../integrations/credentials'
import { listIntegrations } from '../../../integrations/queries'
import type { HonoEnv } from '../../../types'
import { agentAuth } from '../auth'
import { errorResponsesFor, serviceSecurity } from './schemas'

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

const listRoute = createRoute({
  method: 'get',
  path: '/integrations',
  summary: "The agent's customer's integrations (no secrets)",
  security: serviceSecurity,
  middleware: [agentAuth()] as const,
  request: { headers: agentHeader },
  responses: {
    200: {
      description: 'Integrations',
      content: { 'application/json': { schema: z.object({ integrations: z.array(integrationSummary) }) } },
    },
    ...errorResponsesFor(401, 403),
  },
})

const credentialsRoute = createRoute({
  method: 'get',
  path: '/integrations/{id}/credentials',
  summary: 'Decrypted credentials of one integration, refreshed first when expired',
  security: serviceSecurity,
  middleware: [agentAuth()] as const,
  request: { headers: agentHeader, params: z.object({ id: z.uuid() }) },
  responses: {
    200: { description: 'Credentials', content: { 'application/json': { schema: credentials } } },
    ...errorResponsesFor(400, 401, 403, 404, 409, 503),
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
