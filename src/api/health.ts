import { Hono } from 'hono'
import { checkDatabaseReadiness, type DatabaseReadiness } from '../db/health'
import { Unavailable } from '../errors'
import type { HonoEnv } from '../types'

/** The only thing the public learns from /health or a failed start: up or not. Details go to the log. */
export const UNAVAILABLE = 'unavailable'

/** Database reachable, pgvector present, and every committed migration applied: `{"status":"ok"}`, else 503. */
export const health = new Hono<HonoEnv>().get('/health', async (c) => {
  const { database, logger } = c.var.services
  let readiness: DatabaseReadiness
  try {
    readiness = await checkDatabaseReadiness(database.db)
  } catch (error) {
    logger.warn('health check failed: the database cannot be reached or is not migrated', { error })
    throw new Unavailable(UNAVAILABLE)
  }
  const { problem, ...counts } = readiness
  if (problem) {
    logger.warn(`health check failed: ${problem}`, counts)
    throw new Unavailable(UNAVAILABLE)
  }
  return c.json({ status: 'ok' as const })
})
