import { refuseUnstorableBody } from '../../http/text-guard'
import { newInternalApp } from './app'
import { serviceAuth } from './auth'
import { registerCanRespond } from './routes/can-respond'
import { registerConfig } from './routes/config'
import { registerCustomerStateRefresh } from './routes/customer-state-refresh'
import { registerIntegrationRoutes } from './routes/integrations'
import { registerKnowledgeSearchRoutes } from './routes/knowledge-search'
import { serviceSecurity } from './routes/schemas'
import { registerUsageBatch } from './routes/usage-batch'
import { registerValidateKey } from './routes/validate-key'

/** The agent runtime's API, mounted at `/api/internal`. Routes register themselves here. */
export function createInternalApi() {
  const api = newInternalApp()
  api.openAPIRegistry.registerComponent('securitySchemes', 'serviceSecret', {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the secrets in HUB_SERVICE_SECRET',
  })
  // Everything under /api/internal needs the service secret, the description of the API included.
  api.use('*', serviceAuth())
  // Only now is a body read (src/app.ts leaves /api/internal bodies alone): an unauthenticated caller
  // gets its 401 without a byte of its JSON parsed. A usage batch refuses bad text report by report.
  api.use('*', refuseUnstorableBody({ textCheckedByRoute: [/\/usage\/batch\/?$/] }))
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'EchoForge Hub internal API', version: '1.0.0' },
    security: serviceSecurity,
  })
  registerValidateKey(api)
  registerConfig(api)
  registerCanRespond(api)
  registerUsageBatch(api)
  registerKnowledgeSearchRoutes(api)
  registerIntegrationRoutes(api)
  registerCustomerStateRefresh(api)
  return api
}
