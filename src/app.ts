import { type Context, Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { health } from './api/health'
import { createInternalApi } from './api/internal'
import { billingWebhook } from './api/stripe-webhook'
import { MAX_BATCH_BODY_BYTES } from './billing/rules/usage-report'
import { MAX_WEBHOOK_BODY_BYTES } from './billing/stripe/verify'
import { type BodyLimitRule, bodyLimits } from './http/body-limit'
import { handleError, handleNotFound } from './http/error-handler'
import { init } from './http/middleware'
import { refuseUnstorableText } from './http/text-guard'
import { MAX_PASTED_TEXT_BODY_BYTES, MAX_UPLOAD_REQUEST_BYTES } from './knowledge/limits'
import type { HonoEnv } from './types'
import { createWebApp } from './web/app'
import { pageRenderer } from './web/shared/layout'

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

const KB = 1024
const UPLOAD_PATH = /^\/knowledge\/[^/]+\/documents\/?$/

/** The largest body each route accepts (first match wins); every other route gets {@link DEFAULT_BODY_BYTES}. */
export const bodyLimitRules: readonly BodyLimitRule[] = [
  { method: 'POST', path: UPLOAD_PATH, maxBytes: MAX_UPLOAD_REQUEST_BYTES },
  { method: 'POST', path: /^\/knowledge\/[^/]+\/text\/?$/, maxBytes: MAX_PASTED_TEXT_BODY_BYTES },
  { method: 'POST', path: /^\/billing\/webhook\/?$/, maxBytes: MAX_WEBHOOK_BODY_BYTES },
  { method: 'POST', path: /^\/api\/internal\/usage\/batch\/?$/, maxBytes: MAX_BATCH_BODY_BYTES },
  { method: 'POST', path: /^\/api\//, maxBytes: 64 * KB },
  { method: 'POST', path: /^\/(?:login|signup)\/?$/, maxBytes: 16 * KB },
]
/** Any other form (wizard, agents, knowledge bases, billing...): far above what its fields allow. */
export const DEFAULT_BODY_BYTES = 256 * KB

/**
 * Bodies the global text check leaves alone: the signed webhook reads its own; the internal API and
 * uploads read theirs only once the caller is known (`serviceAuth`; the session and CSRF token),
 * so an anonymous request never gets its body parsed.
 */
const bodiesReadLater = [/^\/billing\/webhook\/?$/, /^\/api\/internal\//, UPLOAD_PATH]

/**
 * A body sent without a Content-Length is read up to its limit before the limit can judge it: for an
 * upload, 30 MB before the session is known. Its route limits it after the session and CSRF checks.
 */
const isStreamedUpload = (c: Context<HonoEnv>) =>
  c.req.method === 'POST' &&
  UPLOAD_PATH.test(c.req.path) &&
  (!c.req.raw.headers.has('Content-Length') || c.req.raw.headers.has('Transfer-Encoding'))

export function newApp() {
  const app = new Hono<HonoEnv>()
  app.use(requestId({ headerName: 'X-Request-Id' }))
  app.use(secureHeaders({ contentSecurityPolicy, referrerPolicy: 'strict-origin-when-cross-origin' }))
  // Every HTML answer, error pages included, renders through the one layout (`c.render`).
  app.use(pageRenderer)
  app.use(init())
  const limitBodies = bodyLimits(bodyLimitRules, DEFAULT_BODY_BYTES)
  app.use((c, next) => (isStreamedUpload(c) ? next() : limitBodies(c, next)))
  app.use(refuseUnstorableText({ bodiesReadLater }))
  app.onError(handleError)
  app.notFound(handleNotFound)
  return app
}

export function createApp() {
  const app = newApp()
  app.route('/', health)
  app.route('/api/internal', createInternalApi())
  app.route('/', billingWebhook)
  app.route('/', createWebApp())
  return app
}
