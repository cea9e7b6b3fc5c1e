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
  DATABASE_QUERY_TIMEOUT_MS?: number
}

/**
 * How long the driver waits for the answer to one statement before it gives up with an error that
 * reads as "database unavailable": a database that stops answering mid-query (a half-open
 * connection, a stalled proxy) must not hold a request or a queue message for ever. Requests get
 * well under a client's patience and above the longest lock wait the race suite sees (about 6 s);
 * background work (indexing a large document writes thousands of chunks in one transaction) more.
 */
export const QUERY_TIMEOUT_MS = { request: 20_000, background: 120_000 } as const

const POOL_CLOSE_TIMEOUT_MS = 5_000

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
export function createDb(
  settings: DbSettings,
  logger: Logger = createLogger({ component: 'db' }),
  work: keyof typeof QUERY_TIMEOUT_MS = 'request',
): DbHandle {
  configureDriver(settings)
  const pool = new Pool({
    connectionString: settings.DATABASE_URL,
    connectionTimeoutMillis: 5_000,
    query_timeout: settings.DATABASE_QUERY_TIMEOUT_MS ?? QUERY_TIMEOUT_MS[work],
    max: 4,
  })
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
  // One that never finishes is bounded: drizzle leaks the pool client when a transaction's BEGIN
  // fails (drizzle-team/drizzle-orm#6241), and a connection that stopped answering never ends, so
  // pool.end() would wait for ever; the invocation ending takes the socket with it.
  const close = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const ended = pool.end().then(
      () => true,
      (error: unknown) => {
        logger.warn('database pool close failed', { error })
        return true
      },
    )
    const bounded = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), POOL_CLOSE_TIMEOUT_MS)
    })
    const finished = await Promise.race([ended, bounded])
    clearTimeout(timer)
    if (!finished) logger.warn('database pool close timed out', { connections: pool.totalCount })
  }
  return { db, stats, close }
}
