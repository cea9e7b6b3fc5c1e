import type { MiddlewareHandler } from 'hono'
import { UNAVAILABLE } from '../api/health'
import { beginInvocation } from '../platform/invocation'
import type { HonoEnv } from '../types'
import { HttpError } from './errors'
import { createServices } from './services'

/**
 * Validates the environment, builds this request's services, and closes them once
 * the response is done. A bad environment answers BAD_ENVIRONMENT instead of failing deep inside.
 */
export const init = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  const invocation = beginInvocation(c.env, { request_id: c.get('requestId') })
  // The problems are in the log (beginInvocation wrote them); the public learns only that we are unavailable.
  if (!invocation.ok) throw new HttpError('BAD_ENVIRONMENT', UNAVAILABLE)
  const { config, logger } = invocation
  const services = createServices(config, logger, c.env)
  c.set('services', services)
  const started = Date.now()
  try {
    await next()
    // Before the answer leaves: whoever made a change sees it on the hot path when they get it.
    await services.edge.flush()
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
