import type { MiddlewareHandler } from 'hono'
import { parseEnv } from '../env'
import { AppError } from '../errors'
import { createLogger } from '../platform/logger'
import type { HonoEnv } from '../types'
import { createServices } from './services'

/**
 * Validates the environment, builds this request's services, and closes them once
 * the response is done. A bad environment answers BAD_ENVIRONMENT instead of failing deep inside.
 */
export const init = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  const parsed = parseEnv(c.env)
  if (!parsed.ok) {
    createLogger().error('bad environment', { problems: parsed.message })
    throw new AppError('BAD_ENVIRONMENT', `The server is misconfigured: ${parsed.message}`)
  }
  const logger = createLogger({ request_id: c.get('requestId') }, parsed.config.LOG_LEVEL)
  const services = createServices(parsed.config, logger)
  c.set('services', services)
  const started = Date.now()
  try {
    await next()
  } finally {
    const statements = services.statementCount()
    if (statements > 0) c.header('Server-Timing', `db;desc="${statements} statements"`, { append: true })
    const done = services.dispose()
    try {
      c.executionCtx.waitUntil(done)
    } catch {
      await done
    }
    logger.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      db_statements: statements,
    })
  }
}
