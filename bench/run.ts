// `npm run bench`: starts the backing services (in-memory PGlite + pgvector, local
// embedder, stand-ins) and `wrangler dev` on them (both Workers), then measures every HTTP
// scenario side by side with `/health` in the same run, runs the custom benchmarks, and
// reports each Worker's deployable bundle size from `wrangler deploy --dry-run`. Exits 1
// when a benchmark's checks fail (BenchCheckFailed).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { spawnTestServices } from '../scripts/spawn-services.ts'
import { startWranglerDev } from '../scripts/wrangler-dev.ts'
import { BenchCheckFailed } from './checks.ts'
import { customBenchmarks, httpScenarios } from './scenarios.ts'
import type { BenchContext, HttpRequestSpec } from './types.ts'
import { benchWorkerVars } from './worker-vars.ts'

const root = new URL('..', import.meta.url).pathname
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const only = process.env.BENCH_ONLY?.split(',')
const SERVICE_SECRET = 'bench-service-secret-0123456789abcdefgh'

interface HttpResult {
  name: string
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  units?: { perSecond: number; name: string }
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
        headers: { ...(spec.body ? { 'content-type': 'application/json' } : {}), ...spec.headers },
        body: typeof spec.body === 'string' ? spec.body : undefined,
        ...(makeBody ? { setupRequest: (req: object) => ({ ...req, body: makeBody() }) } : {}),
      },
    ],
  })
  const rps = result.requests.average
  return {
    name,
    rps,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    units: spec.unitsPerRequest ? { perSecond: rps * spec.unitsPerRequest, name: spec.unitName ?? 'units' } : undefined,
  }
}

async function bundleSize(config: string): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    `${root}node_modules/.bin/wrangler`,
    ['deploy', '--dry-run', '-c', config, '--outdir', `${root}.wrangler/dry-run/${config}`],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  return /Total Upload: ([^\n]+)/.exec(stdout + stderr)?.[1]?.trim() ?? 'unknown'
}

const { services, stop } = await spawnTestServices()
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
  workerPid: worker.child.pid,
}

let checksFailed = false
try {
  console.log(`EchoForge Hub benchmarks: wrangler dev + local PGlite, ${CONNECTIONS} connections, ${DURATION_S}s each`)
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`)

  // Warm the Worker and the database connection path so /health, measured first, is not a cold start.
  await autocannon({ url: `${worker.url}/health`, connections: CONNECTIONS, duration: 3 })
  const results: HttpResult[] = []
  results.push(await measure('/health', worker.url, { path: '/health' }))
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
      'errors+non2xx': r.errors + r.non2xx,
      throughput: r.units ? `${Math.round(r.units.perSecond)} ${r.units.name}/s` : '',
    })),
  )

  for (const bench of customBenchmarks) {
    if (only && !only.some((o) => bench.name.includes(o))) continue
    console.log(`\n${bench.name}`)
    try {
      console.table(await bench.run(ctx))
    } catch (error) {
      if (!(error instanceof BenchCheckFailed)) throw error
      console.table(error.rows)
      console.error(`FAILED: ${error.message}`)
      checksFailed = true
    }
  }

  for (const config of ['wrangler.toml', 'wrangler.extraction.toml']) {
    console.log(`\nBundle of ${config} (wrangler deploy --dry-run): ${await bundleSize(config)}`)
  }
} finally {
  await sql.end()
  await worker.stop()
  await stop()
}
process.exit(checksFailed ? 1 : 0)
