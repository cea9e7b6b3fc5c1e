import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable'
import { AppError, type ErrorCode, envelope, statusOf } from '../errors'
import { createLogger } from '../platform/logger'
import type { HonoEnv } from '../types'
import { renderErrorPage } from './error-page'

const codeForStatus: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
}

const titles: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: 'Page not found',
  FORBIDDEN: 'Not allowed',
  TOO_MANY_REQUESTS: 'Too many attempts',
  PAYLOAD_TOO_LARGE: 'Too large',
  UNPROCESSABLE_ENTITY: 'Please check what you entered',
  SERVICE_UNAVAILABLE: 'Temporarily unavailable',
}

/** JSON for the API, health and webhooks; an HTML page for everything a browser visits. */
export function wantsJson(c: Context): boolean {
  const path = c.req.path
  return path.startsWith('/api/') || path === '/api' || path === '/health' || path.startsWith('/billing/webhook')
}

export function respondWithError(c: Context<HonoEnv>, code: ErrorCode, message: string, details?: unknown) {
  const requestId = c.get('requestId') ?? 'unknown'
  const status = statusOf[code]
  if (wantsJson(c)) return c.json(envelope(code, message, requestId, details), status)
  return renderErrorPage(c, status, titles[code] ?? 'Something went wrong', message, requestId)
}

/** Seconds a client (the agent runtime, Stripe, a browser) is asked to wait when the database is down. */
export const DATABASE_RETRY_AFTER_SECONDS = 30

export function handleError(err: Error, c: Context<HonoEnv>) {
  if (err instanceof AppError) return respondWithError(c, err.code, err.message, err.details)
  if (err instanceof HTTPException && err.status < 500) {
    const code = codeForStatus[err.status] ?? 'BAD_REQUEST'
    return respondWithError(c, code, err.message || code.toLowerCase().replaceAll('_', ' '))
  }
  const logger = c.get('services')?.logger ?? createLogger({ request_id: c.get('requestId') })
  if (isDatabaseUnavailable(err)) {
    // Nothing was applied (each change is one transaction); a webhook's 503 makes Stripe retry.
    logger.warn('database unavailable', { error: err, path: c.req.path, method: c.req.method })
    c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
    return respondWithError(c, 'SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE)
  }
  logger.error('unhandled error', { error: err, path: c.req.path, method: c.req.method })
  return respondWithError(c, 'INTERNAL_SERVER_ERROR', 'Something went wrong on our side. Please try again.')
}

export function handleNotFound(c: Context<HonoEnv>) {
  return respondWithError(c, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`)
}
