import { neonConfig, Pool, type PoolClient } from '@neondatabase/serverless'
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless'
import { causeChain } from '../platform/cause-chain'
import { createLogger, type Logger } from '../platform/logger'
import * as schema from './schema'

export type Database = NeonDatabase<typeof schema>
/** A database handle or an open transaction: domain functions accept either. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export interface DbSettings {
  DATABASE_URL: string
  LOCAL_WS_PROXY?: string
  DATABASE_QUERY_TIMEOUT_MS?: number
  DATABASE_STATEMENT_TIMEOUT_MS?: number
}

/** Only the database settings of a configuration (to hand to another object, never the secrets beside them). */
export function dbSettingsOf(config: DbSettings): DbSettings {
  const { DATABASE_URL, LOCAL_WS_PROXY, DATABASE_QUERY_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS } = config
  return { DATABASE_URL, LOCAL_WS_PROXY, DATABASE_QUERY_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS }
}

/**
 * How long the driver waits for the answer to one statement before it gives up with an error that
 * reads as "database unavailable": a database that stops answering mid-query (a half-open
 * connection, a stalled proxy) must not hold a request or a queue message for ever. Requests get
 * well under a client's patience and above the longest lock wait the race suite sees (about 6 s);
 * background work (indexing a large document writes thousands of chunks in one transaction) more.
 */
export const QUERY_TIMEOUT_MS = { request: 20_000, background: 120_000 } as const

/**
 * How long PostgreSQL itself lets one statement run (lock waits included) before it cancels it
 * (SQLSTATE 57014): the driver's query_timeout only stops waiting, and the server would go on
 * running a hostile search for a Worker that gave up long ago. Under QUERY_TIMEOUT_MS, so the server
 * stops first and the caller learns why. Requests: above the ~6 s lock waits the race suite sees and
 * the ~5 s p99 of a 1,000-report usage batch under load here; background: a large document's chunks.
 */
export const STATEMENT_TIMEOUT_MS = { request: 10_000, background: 60_000 } as const

/** A statement PostgreSQL cancelled: statement_timeout (or a cancel request). */
export function isStatementTimeout(error: unknown): boolean {
  for (const current of causeChain(error, 6))
    if (typeof current === 'object' && current !== null && (current as { code?: unknown }).code === '57014') return true
  return false
}

export const STATEMENT_TIMEOUT_MESSAGE =
  'This took the database too long, so it was stopped. Please try again; if it keeps happening, ask for less at once (a shorter search, a smaller batch).'

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
  const statementTimeoutMs = Math.trunc(settings.DATABASE_STATEMENT_TIMEOUT_MS ?? STATEMENT_TIMEOUT_MS[work])
  const pool = new Pool({
    connectionString: settings.DATABASE_URL,
    connectionTimeoutMillis: 5_000,
    query_timeout: settings.DATABASE_QUERY_TIMEOUT_MS ?? QUERY_TIMEOUT_MS[work],
    max: 4,
  })
  // A SET as each connection opens, not the `statement_timeout` startup parameter the driver can
  // send: Neon's proxy drops that parameter without a word (neondatabase/neon#12856) and its
  // pooler refuses `options=-c statement_timeout=...` ("unsupported startup parameter in options",
  // neondatabase/neon#6291), so on Neon only a SET takes effect. Queued on the client from the pool's
  // `connect` event (node-postgres' documented way), it runs before the first statement without
  // anyone waiting on it; a connection that dies under it fails that first statement, as it would
  // have anyway. (pg-pool's awaited `onConnect` hook hung a request whose connection was cut while the
  // hook ran: test/outage/outage.test.ts.) Like the startup exchange, it is not counted in
  // `stats.statements`.
  pool.on('connect', (client: PoolClient) => {
    client.query(`SET statement_timeout = ${statementTimeoutMs}`).catch(() => {})
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
