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
  /** Milliseconds the Worker's database relay adds to every round trip (`BENCH_DB_LATENCY_MS`, default 0). */
  dbLatencyMs: number
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
  /** The status every answer must have (default: any 2xx); any other answer fails the run. */
  expectStatus?: number
  /**
   * After the measurement: checks what the requests did (rows written, balance credited, the answer
   * right). `answered`: requests that got `expectStatus`; `sent`: requests sent (a few may still have
   * been in flight when autocannon stopped counting).
   */
  verify(measured: { answered: number; sent: number }): Promise<BenchRow[]>
}

/**
 * One line of a benchmark's report. `ok` marks an effect the run must have had (rows written,
 * balance credited, chunks stored, answers correct): `false` makes `npm run bench` exit non-zero,
 * and a benchmark with no such line fails too, since it proves nothing about its work.
 */
export interface BenchRow {
  metric: string
  value: string
  ok?: boolean
}

/** A row that checks an effect: `ok` and the value shown. */
export const effect = (metric: string, ok: boolean, value: string): BenchRow => ({ metric, value, ok })

/** Measured with autocannon against the running Worker, side by side with `/health`. */
export interface HttpScenario {
  name: string
  setup(ctx: BenchContext): Promise<HttpRequestSpec>
}

/** Anything else (chunker throughput, recall, memory): prints its own rows. */
export interface CustomBenchmark {
  name: string
  run(ctx: BenchContext): Promise<BenchRow[]>
}
