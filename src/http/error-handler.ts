import type { Context } from 'hono'
import { isStatementTimeout, STATEMENT_TIMEOUT_MESSAGE } from '../db/client'
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable'
import { createLogger } from '../platform/logger'
import type { HonoEnv } from '../types'
import { type ErrorResponse, errorResponseFor, httpErrorResponse } from './error-mapping'
import { renderErrorPage } from './error-page'
import { envelope } from './errors'

/** JSON for the API, health and webhooks; an HTML page for everything a browser visits. */
export function wantsJson(c: Context): boolean {
  const path = c.req.path
  return path.startsWith('/api/') || path === '/api' || path === '/health' || path.startsWith('/billing/webhook')
}

function respond(c: Context<HonoEnv>, response: ErrorResponse) {
  const requestId = c.get('requestId') ?? 'unknown'
  const { status, code, message, details, title, nextStep } = response
  if (wantsJson(c)) return c.json(envelope(code, message, requestId, details), status)
  return renderErrorPage(c, status, title, message, requestId, nextStep)
}

/** Seconds a client (the agent runtime, Stripe, a browser) is asked to wait when the database is down. */
export const DATABASE_RETRY_AFTER_SECONDS = 30

export function handleError(err: Error, c: Context<HonoEnv>) {
  const known = errorResponseFor(err)
  if (known) return respond(c, known)
  const logger = c.get('services')?.logger ?? createLogger({ request_id: c.get('requestId') })
  if (isDatabaseUnavailable(err)) {
    // Nothing was applied (each change is one transaction); a webhook's 503 makes Stripe retry.
    logger.warn('database unavailable', { error: err, path: c.req.path, method: c.req.method })
    c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
    return respond(c, httpErrorResponse('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE))
  }
  if (isStatementTimeout(err)) {
    // PostgreSQL stopped the statement (statement_timeout); its transaction rolled back.
    logger.warn('database statement timed out', { path: c.req.path, method: c.req.method })
    return respond(c, httpErrorResponse('SERVICE_UNAVAILABLE', STATEMENT_TIMEOUT_MESSAGE))
  }
  logger.error('unhandled error', { error: err, path: c.req.path, method: c.req.method })
  return respond(c, httpErrorResponse('INTERNAL_SERVER_ERROR', 'Something went wrong on our side. Please try again.'))
}

export function handleNotFound(c: Context<HonoEnv>) {
  return respond(c, httpErrorResponse('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`))
}
