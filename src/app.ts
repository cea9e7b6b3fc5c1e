import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { createInternalApi } from './api/internal'
import { billingWebhook } from './billing/webhook-route'
import { handleError, handleNotFound } from './http/error-handler'
import { init } from './http/middleware'
import { health } from './routes/health'
import type { HonoEnv } from './types'
import { createWebApp } from './web/app'
import { billingWebRoutes } from './web/billing/routes'
import { integrationWebRoutes } from './web/integrations/routes'

export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'", 'https://checkout.stripe.com', 'https://billing.stripe.com'],
}

export function newApp() {
  const app = new Hono<HonoEnv>()
  app.use(requestId({ headerName: 'X-Request-Id' }))
  app.use(secureHeaders({ contentSecurityPolicy, referrerPolicy: 'strict-origin-when-cross-origin' }))
  app.use(init())
  app.onError(handleError)
  app.notFound(handleNotFound)
  return app
}

export function createApp() {
  const app = newApp()
  app.route('/', health)
  app.route('/api/internal', createInternalApi())
  app.route('/', billingWebhook)
  app.route('/', billingWebRoutes)
  app.route('/', integrationWebRoutes)
  app.route('/', createWebApp())
  return app
}
