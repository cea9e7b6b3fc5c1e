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

/** Database reachable, pgvector present, and every committed migration applied. */
export const health = new Hono<HonoEnv>().get('/health', async (c) => {
  const { db } = c.var.services.database
  let row: HealthRow | undefined
  try {
    const result = await db.execute<HealthRow>(sql`
      SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
             (SELECT count(*) FROM drizzle.__drizzle_migrations) AS applied`)
    row = result.rows[0]
  } catch (error) {
    c.var.services.logger.warn('health check failed', { error })
    throw new AppError('SERVICE_UNAVAILABLE', 'The database cannot be reached or is not migrated')
  }
  const applied = Number(row?.applied ?? 0)
  if (!row?.pgvector) throw new AppError('SERVICE_UNAVAILABLE', 'pgvector is not installed in the database')
  if (applied < expectedMigrations) {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      `Database migrations pending: ${applied} of ${expectedMigrations} applied`,
    )
  }
  return c.json({
    status: 'ok',
    database: 'reachable',
    pgvector: row.pgvector,
    migrations: { applied, expected: expectedMigrations, latest: latestExpected },
  })
})
