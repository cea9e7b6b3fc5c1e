import { neonConfig, Pool } from '@neondatabase/serverless'
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless'
import { createLogger, type Logger } from '../platform/logger'
import * as schema from './schema'

export type Database = NeonDatabase<typeof schema>
/** A database handle or an open transaction: domain functions accept either. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export interface DbSettings {
  DATABASE_URL: string
  LOCAL_WS_PROXY?: string
}

export interface DbHandle {
  db: Database
  /** SQL statements sent through this handle (reported in `Server-Timing`, counted by tests). */
  stats: { statements: number }
  close(): Promise<void>
}

function configureDriver(settings: DbSettings) {
  if (!settings.LOCAL_WS_PROXY) return
  // The embedded local database sits behind a plain WebSocket relay; Neon itself needs none of this.
  const proxy = settings.LOCAL_WS_PROXY
  neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`
  neonConfig.useSecureWebSocket = false
  neonConfig.pipelineTLS = false
  neonConfig.pipelineConnect = false
}

/**
 * Logs what the pool reports on its own: an idle connection that failed (no statement is running, so
 * the pool emits it instead of throwing). Without a listener the error would crash the process.
 * The logger masks connection strings and database error values; these errors carry no parameters.
 */
export function logPoolErrors(pool: Pick<Pool, 'on'>, logger: Logger) {
  pool.on('error', (error: Error) => logger.warn('database pool error', { error }))
}

/**
 * A pool for one request or job: Workers must create, use and end it within the same invocation.
 * Pool errors and a failed close go to `logger` (the invocation's, so they carry its request id).
 */
export function createDb(settings: DbSettings, logger: Logger = createLogger({ component: 'db' })): DbHandle {
  configureDriver(settings)
  const pool = new Pool({ connectionString: settings.DATABASE_URL, connectionTimeoutMillis: 5_000, max: 4 })
  logPoolErrors(pool, logger)
  const stats = { statements: 0 }
  const db = drizzle({
    client: pool,
    schema,
    logger: {
      logQuery: () => {
        stats.statements++
      },
    },
  })
  // A close that fails (the pool already ended, a connection broke) has nothing left to clean up.
  const close = async () => {
    await pool.end().catch((error: unknown) => logger.warn('database pool close failed', { error }))
  }
  return { db, stats, close }
}
