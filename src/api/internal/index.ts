import { newInternalApp } from './app'
import { serviceAuth } from './auth'
import { registerIntegrationRoutes } from './routes/integrations'

/** The agent runtime's API, mounted at `/api/internal`. Routes register themselves here. */
export function createInternalApi() {
  const api = newInternalApp()
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'EchoForge Hub internal API', version: '1.0.0' },
  })
  api.use('*', serviceAuth())
  // registerX(api) calls for each route go here.
  registerIntegrationRoutes(api)
  return api
}
