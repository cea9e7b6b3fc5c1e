// `npm run bench`: starts the backing services (in-memory PGlite + pgvector, local
// embedder, stand-ins) and `wrangler dev` on them (both Workers), then measures every HTTP
// scenario side by side with `/health` in the same run, runs the custom benchmarks, and
// reports each Worker's deployable bundle size from `wrangler deploy --dry-run`. Every scenario
// checks that its requests did their work (an answer of the expected status, rows written,
// balance credited, chunks stored, answers right): a speed measured on work not done is no
// measurement, so the run exits 1 when an effect is missing or a scenario checks none.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { spawnTestServices } from '../scripts/spawn-services.ts'
import { startWranglerDev } from '../scripts/wrangler-dev.ts'
import { customBenchmarks, httpScenarios } from './scenarios.ts'
import { type BenchContext, type BenchRow, effect, type HttpRequestSpec } from './types.ts'
import { benchWorkerVars } from './worker-vars.ts'

const root = new URL('..', import.meta.url).pathname
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const only = process.env.BENCH_ONLY?.split(',')
// The database this far (ms of round trip) from the Worker, as from a far edge location: its relay
// holds every message half of it each way (scripts/local-db.ts). Fixtures and checks (`ctx.sql`)
// connect directly and are not slowed.
const DB_LATENCY_MS = Number(process.env.BENCH_DB_LATENCY_MS || 0)
if (!Number.isFinite(DB_LATENCY_MS) || DB_LATENCY_MS < 0) {
  console.error(`BENCH_DB_LATENCY_MS must be a number of milliseconds >= 0, not "${process.env.BENCH_DB_LATENCY_MS}"`)
  process.exit(2)
}
const SERVICE_SECRET = 'bench-service-secret-0123456789abcdefgh'

interface HttpResult {
  name: string
  rps: number
  p50: number
  p99: number
  /** Connection errors, timeouts and answers other than the expected status. */
  unexpected: number
  units?: { perSecond: number; name: string }
  effects: BenchRow[]
}

async function measure(name: string, baseUrl: string, spec: HttpRequestSpec): Promise<HttpResult> {
  const makeBody = typeof spec.body === 'function' ? spec.body : undefined
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: spec.method ?? 'GET',
        path: spec.path,
        // JSON unless the scenario names its own type: a second `content-type` beside a scenario's
        // `Content-Type` made the login form arrive unreadable, and every sign-in failed unseen.
        headers: {
          ...(spec.body && !Object.keys(spec.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
            ? { 'content-type': 'application/json' }
            : {}),
          ...spec.headers,
        },
        body: typeof spec.body === 'string' ? spec.body : undefined,
        ...(makeBody ? { setupRequest: (req: object) => ({ ...req, body: makeBody() }) } : {}),
      },
    ],
  })
  const rps = result.requests.average
  const statuses = Object.entries(result.statusCodeStats ?? {}) as Array<[string, { count: number }]>
  const isExpected = (status: number) =>
    spec.expectStatus === undefined ? status >= 200 && status < 300 : status === spec.expectStatus
  const answered = statuses.filter(([status]) => isExpected(Number(status))).reduce((n, [, s]) => n + s.count, 0)
  const other = statuses.filter(([status]) => !isExpected(Number(status)))
  const unexpected = result.errors + result.timeouts + other.reduce((n, [, s]) => n + s.count, 0)
  const expected = spec.expectStatus ?? '2xx'
  return {
    name,
    rps,
    p50: result.latency.p50,
    p99: result.latency.p99,
    unexpected,
    units: spec.unitsPerRequest ? { perSecond: rps * spec.unitsPerRequest, name: spec.unitName ?? 'units' } : undefined,
    effects: [
      effect(
        `every answer ${expected}`,
        answered > 0 && unexpected === 0,
        `${answered} ${expected}, ${unexpected} other (${other.map(([status, s]) => `${s.count} x ${status}`).join(', ') || 'none'}; ${result.errors + result.timeouts} errors/timeouts)`,
      ),
      ...(await spec.verify({ answered, sent: result.requests.sent })),
    ],
  }
}

/** What a benchmark failed to do, or that it checked nothing of what it did. */
function missingEffects(name: string, rows: readonly BenchRow[]): string[] {
  if (!rows.some((r) => r.ok !== undefined)) return [`${name}: checks no effect of its work`]
  return rows.filter((r) => r.ok === false).map((r) => `${name}: ${r.metric}: ${r.value}`)
}

async function bundleSize(config: string): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    `${root}node_modules/.bin/wrangler`,
    ['deploy', '--dry-run', '-c', config, '--outdir', `${root}.wrangler/dry-run/${config}`],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  return /Total Upload: ([^\n]+)/.exec(stdout + stderr)?.[1]?.trim() ?? 'unknown'
}

let exitCode = 0
const { services, stop } = await spawnTestServices(undefined, { dbLatencyMs: DB_LATENCY_MS })
// --test-scheduled: the bombs benchmark runs the stale-document sweep's cron through `/__scheduled`.
const worker = await startWranglerDev(benchWorkerVars(services, SERVICE_SECRET), 'bench', undefined, [
  '--test-scheduled',
])
const sql = postgres(services.databaseUrl, { max: 4, onnotice: () => {} })
const ctx: BenchContext = {
  baseUrl: worker.url,
  databaseUrl: services.databaseUrl,
  wsProxy: services.wsProxy,
  sql,
  serviceSecret: SERVICE_SECRET,
  embeddingsUrl: services.embeddingsUrl,
  dbLatencyMs: DB_LATENCY_MS,
  workerPid: worker.child.pid,
}

try {
  console.log(`EchoForge Hub benchmarks: wrangler dev + local PGlite, ${CONNECTIONS} connections, ${DURATION_S}s each`)
  console.log(`database round trip from the Worker: +${DB_LATENCY_MS} ms (BENCH_DB_LATENCY_MS)`)
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`)

  // Warm the Worker and the database connection path so /health, measured first, is not a cold start.
  await autocannon({ url: `${worker.url}/health`, connections: CONNECTIONS, duration: 3 })
  const results: HttpResult[] = []
  results.push(
    await measure('/health', worker.url, {
      path: '/health',
      verify: async () => {
        const body = (await (await fetch(`${worker.url}/health`)).json()) as { status?: string }
        return [effect('/health says ok', body.status === 'ok', JSON.stringify(body))]
      },
    }),
  )
  for (const scenario of httpScenarios) {
    if (only && !only.some((o) => scenario.name.includes(o))) continue
    results.push(await measure(scenario.name, worker.url, await scenario.setup(ctx)))
  }
  const health = results[0]!
  console.log('HTTP (autocannon)')
  console.table(
    results.map((r) => ({
      endpoint: r.name,
      'req/s': Math.round(r.rps),
      'p50 ms': r.p50,
      'p99 ms': r.p99,
      'vs /health': `${(r.rps / health.rps).toFixed(2)}x`,
      'unexpected answers': r.unexpected,
      throughput: r.units ? `${Math.round(r.units.perSecond)} ${r.units.name}/s` : '',
    })),
  )
  const missing: string[] = []
  console.log('\nHTTP effects (checked after each measurement)')
  console.table(
    results.flatMap((r) =>
      r.effects.map((e) => ({
        endpoint: r.name,
        check: e.metric,
        value: e.value,
        ok: e.ok === false ? 'MISSING' : 'yes',
      })),
    ),
  )
  for (const r of results) missing.push(...missingEffects(r.name, r.effects))

  for (const bench of customBenchmarks) {
    if (only && !only.some((o) => bench.name.includes(o))) continue
    console.log(`\n${bench.name}`)
    let rows: BenchRow[]
    try {
      rows = await bench.run(ctx)
    } catch (error) {
      // One benchmark that breaks must not hide the others' figures; it fails the run at the end.
      const message = error instanceof Error ? error.message : String(error)
      rows = [effect('ran to the end', false, message)]
    }
    console.table(
      rows.map((r) => ({
        metric: r.metric,
        value: r.value,
        ...(r.ok === undefined ? {} : { ok: r.ok ? 'yes' : 'MISSING' }),
      })),
    )
    missing.push(...missingEffects(bench.name, rows))
  }

  for (const config of ['wrangler.toml', 'wrangler.extraction.toml']) {
    console.log(`\nBundle of ${config} (wrangler deploy --dry-run): ${await bundleSize(config)}`)
  }
  if (missing.length > 0) {
    console.error(`\nEffects missing: the figures above measured work that was not done.\n- ${missing.join('\n- ')}`)
    exitCode = 1
  } else console.log('\nEvery scenario did its work (all effects checked).')
} finally {
  await sql.end()
  await worker.stop()
  await stop()
}
process.exit(exitCode)
