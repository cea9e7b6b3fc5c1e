import { sql } from 'drizzle-orm'
import journal from '../../migrations/meta/_journal.json'
import type { Executor } from './client'

const expectedMigrations = journal.entries.length
const latestExpected = journal.entries.at(-1)?.tag ?? null

export interface DatabaseReadiness {
  /** Why the database cannot serve the app (for the log), or null when it can. */
  problem: string | null
  applied: number
  expected: number
  latest: string | null
}

/**
 * Whether the database can serve this build: pgvector present and every committed migration applied.
 * Throws when the database cannot be reached (or has no migrations table).
 */
export async function checkDatabaseReadiness(db: Executor): Promise<DatabaseReadiness> {
  const { rows } = await db.execute<{ pgvector: string | null; applied: number | string | null }>(sql`
    SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
           (SELECT count(*) FROM drizzle.__drizzle_migrations) AS applied`)
  const row = rows[0]
  const applied = Number(row?.applied ?? 0)
  const problem = !row?.pgvector
    ? 'pgvector is not installed in the database'
    : applied < expectedMigrations
      ? `database migrations pending: ${applied} of ${expectedMigrations} applied`
      : null
  return { problem, applied, expected: expectedMigrations, latest: latestExpected }
}
