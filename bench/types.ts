import type { Sql } from 'postgres'

export interface BenchContext {
  /** The Worker under `wrangler dev`, backed by the local database. */
  baseUrl: string
  databaseUrl: string
  /** The WebSocket proxy in front of it, for the Worker's own database client (the ops CLI). */
  wsProxy: string
  /** A postgres.js client on the benchmark database, for setting up fixtures. */
  sql: Sql
  serviceSecret: string
  embeddingsUrl: string
  /** The `wrangler dev` process (its workerd children are the Worker), for memory sampling. */
  workerPid?: number
}

export interface HttpRequestSpec {
  method?: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** A fixed body, or one made fresh for every request (e.g. unique request ids). */
  body?: string | (() => string)
  /** Units of work per request, for a throughput figure (e.g. 100 usage reports). */
  unitsPerRequest?: number
  unitName?: string
}

/** Measured with autocannon against the running Worker, side by side with `/health`. */
export interface HttpScenario {
  name: string
  setup(ctx: BenchContext): Promise<HttpRequestSpec>
}

/** Anything else (chunker throughput, recall, memory): prints its own rows. */
export interface CustomBenchmark {
  name: string
  run(ctx: BenchContext): Promise<Array<{ metric: string; value: string }>>
}
