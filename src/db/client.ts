import { neonConfig, Pool } from '@neondatabase/serverless'
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless'
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

/** A pool for one request or job: Workers must create, use and end it within the same invocation. */
export function createDb(settings: DbSettings): DbHandle {
  configureDriver(settings)
  const pool = new Pool({ connectionString: settings.DATABASE_URL, connectionTimeoutMillis: 5_000, max: 4 })
  pool.on('error', () => {})
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
  return { db, stats, close: () => pool.end().catch(() => {}) }
}
