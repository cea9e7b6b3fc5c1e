import { sql } from 'drizzle-orm'
import { Hono } from 'hono'
import journal from '../../migrations/meta/_journal.json'
import { AppError } from '../errors'
import type { HonoEnv } from '../types'

const expectedMigrations = journal.entries.length
const latestExpected = journal.entries.at(-1)?.tag ?? null

interface HealthRow extends Record<string, unknown> {
  pgvector: string | null
  applied: number | string | null
}

/** The only thing the public learns from /health or a failed start: up or not. Details go to the log. */
export const UNAVAILABLE = 'unavailable'

/** Database reachable, pgvector present, and every committed migration applied: `{"status":"ok"}`, else 503. */
export const health = new Hono<HonoEnv>().get('/health', async (c) => {
  const { database, logger } = c.var.services
  let row: HealthRow | undefined
  try {
    const result = await database.db.execute<HealthRow>(sql`
      SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
             (SELECT count(*) FROM drizzle.__drizzle_migrations) AS applied`)
    row = result.rows[0]
  } catch (error) {
    logger.warn('health check failed: the database cannot be reached or is not migrated', { error })
    throw new AppError('SERVICE_UNAVAILABLE', UNAVAILABLE)
  }
  const applied = Number(row?.applied ?? 0)
  const problem = !row?.pgvector
    ? 'pgvector is not installed in the database'
    : applied < expectedMigrations
      ? `database migrations pending: ${applied} of ${expectedMigrations} applied`
      : null
  if (problem) {
    logger.warn(`health check failed: ${problem}`, { applied, expected: expectedMigrations, latest: latestExpected })
    throw new AppError('SERVICE_UNAVAILABLE', UNAVAILABLE)
  }
  return c.json({ status: 'ok' as const })
})
