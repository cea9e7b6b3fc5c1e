// The hot path: the three internal API calls the agent runtime makes on every chat message
// (validate-key, config, can-respond), one at a time as one runtime would make them, beside a call
// that touches no database (an authenticated 404 under /api/internal), which is the floor a cache
// can reach. Each answer's `Server-Timing` says how many statements it ran (`db;desc="N
// statements"`, absent: none) and, once the edge cache exists, where it was served from
// (`cache;desc="l1" | "do" | "db"`). Meant with the database far away:
// `BENCH_DB_LATENCY_MS=40 BENCH_ONLY='hot path' npm run bench`.
import { createBenchAgent, internalAuth, oncePerRun } from '../fixtures.ts'
import { type BenchContext, type BenchRow, type CustomBenchmark, effect } from '../types.ts'

const WARM_UP = 20
const CALLS = 1000
const TARGET = { zeroStatementShare: 0.99, hitP50VsBaseline: 1.3, doP50VsBaseline: 2 }

const BASELINE = 'baseline (404, no database)'
type CallName = 'validate-key' | 'config' | 'can-respond' | typeof BASELINE

interface Call {
  name: CallName
  path: string
  headers: Record<string, string>
  /** What every answer must be (the effect checked). */
  expect: string
  /** Why this answer is wrong, or undefined when it is right. */
  wrong(status: number, body: unknown, timing: Timing): string | undefined
}

interface Timing {
  /** Statements the call ran (`db;desc="N statements"`; absent: 0). */
  statements: number
  /** `cache;desc=...`, or 'none' when absent. */
  cache: string
  /** The call reported a `db` entry at all. */
  hasDbEntry: boolean
}

interface Sample extends Timing {
  ms: number
}

/** The entries of a `Server-Timing` header: name and `desc` (commas inside quotes kept). */
function parseServerTiming(header: string | null): Timing {
  const entries = (header ?? '').match(/(?:[^,"]|"[^"]*")+/g) ?? []
  let statements = 0
  let cache = 'none'
  let hasDbEntry = false
  for (const entry of entries) {
    const [name = '', ...params] = entry.split(';').map((part) => part.trim())
    const desc = params
      .map((p) => /^desc=(?:"([^"]*)"|(\S*))$/.exec(p))
      .find(Boolean)
      ?.slice(1)
      .find((v) => v !== undefined)
    if (name === 'db') {
      hasDbEntry = true
      statements += Number(/^(\d+) statements?$/.exec(desc ?? '')?.[1] ?? Number.NaN)
    } else if (name === 'cache') cache = desc ?? 'none'
  }
  return { statements, cache, hasDbEntry }
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
const p50 = (samples: readonly Sample[]) => percentile(sortedMs(samples), 0.5)
const sortedMs = (samples: readonly Sample[]) => samples.map((s) => s.ms).sort((a, b) => a - b)
const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toFixed(1))
const pct = (share: number) => `${(share * 100).toFixed(1)}%`
const times = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)}x`)
const short = (value: unknown) => JSON.stringify(value)?.slice(0, 120) ?? String(value)

function calls(ctx: BenchContext, agentId: string, apiKey: string): Call[] {
  const asObject = (body: unknown) =>
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  return [
    {
      name: 'validate-key',
      expect: '200, valid, for its agent',
      path: '/api/internal/agent/validate-key',
      headers: { ...internalAuth(ctx), 'X-API-Key': apiKey },
      wrong: (status, body) => {
        const b = asObject(body)
        return status === 200 && b.valid === true && b.agent_instance_id === agentId
          ? undefined
          : `${status} ${short(body)}`
      },
    },
    {
      name: 'config',
      expect: '200, its agent_id',
      path: `/api/internal/agent/${agentId}/config`,
      headers: internalAuth(ctx, agentId),
      wrong: (status, body) =>
        status === 200 && asObject(body).agent_id === agentId ? undefined : `${status} ${short(body)}`,
    },
    {
      name: 'can-respond',
      expect: '200, allowed',
      path: `/api/internal/billing/can-respond/${agentId}`,
      headers: internalAuth(ctx, agentId),
      wrong: (status, body) =>
        status === 200 && asObject(body).allowed === true ? undefined : `${status} ${short(body)}`,
    },
    {
      name: BASELINE,
      expect: '404 NOT_FOUND, no db Server-Timing entry',
      path: '/api/internal/does-not-exist',
      headers: internalAuth(ctx),
      wrong: (status, body, timing) => {
        const error = asObject(asObject(body).error)
        if (status !== 404 || error.code !== 'NOT_FOUND') return `${status} ${short(body)}`
        if (timing.hasDbEntry) return `ran ${timing.statements} statements`
        return undefined
      },
    },
  ]
}

/** One call, timed from the request to the last byte of its answer. */
async function timed(ctx: BenchContext, call: Call): Promise<{ sample: Sample; wrong?: string }> {
  const started = performance.now()
  const res = await fetch(`${ctx.baseUrl}${call.path}`, { headers: call.headers })
  const text = await res.text()
  const elapsed = performance.now() - started
  const timing = parseServerTiming(res.headers.get('server-timing'))
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { sample: { ms: elapsed, ...timing }, wrong: call.wrong(res.status, body, timing) }
}

/** The hot path's own customer, so what the other scenarios did to theirs does not warm it. */
const hotPathAgent = oncePerRun((ctx, tag) => createBenchAgent(ctx, `hot${tag}`))

export async function hotPath(ctx: BenchContext): Promise<BenchRow[]> {
  const { agentId, apiKey } = await hotPathAgent(ctx)
  const all = calls(ctx, agentId, apiKey)
  const samples = new Map<CallName, Sample[]>(all.map((c) => [c.name, []]))
  const wrong = new Map<CallName, string[]>(all.map((c) => [c.name, []]))
  // Interleaved, one call at a time, in the runtime's order for a message: every call of the four
  // sees the same moment of the machine (other load, GC) as the others, so the ratios hold.
  for (let i = 0; i < WARM_UP + CALLS; i++) {
    for (const call of all) {
      const { sample, wrong: why } = await timed(ctx, call)
      if (why) wrong.get(call.name)!.push(why)
      if (i >= WARM_UP) samples.get(call.name)!.push(sample)
    }
  }

  const baseline = samples.get(BASELINE)!
  const baselineP50 = p50(baseline)
  const cacheValues = ['l1', 'do', 'db', 'none']
  console.log(
    `${CALLS} sequential calls each after ${WARM_UP} warm-up, interleaved; database round trip +${ctx.dbLatencyMs} ms`,
  )
  console.table(
    all.map((call) => {
      const s = samples.get(call.name)!
      const sorted = sortedMs(s)
      const counts = new Map<string, number>()
      for (const { cache } of s) counts.set(cache, (counts.get(cache) ?? 0) + 1)
      const other = [...counts.keys()].filter((k) => !cacheValues.includes(k))
      return {
        call: call.name,
        'p50 ms': ms(percentile(sorted, 0.5)),
        'p99 ms': ms(percentile(sorted, 0.99)),
        'p50 / baseline': times(percentile(sorted, 0.5) / baselineP50),
        '0 statements': pct(s.filter((x) => x.statements === 0).length / s.length),
        'mean statements': (s.reduce((n, x) => n + x.statements, 0) / s.length).toFixed(2),
        'cache l1/do/db/none': [...cacheValues, ...other].map((k) => counts.get(k) ?? 0).join('/'),
      }
    }),
  )

  const targets = all
    .filter((call) => call.name !== BASELINE)
    .flatMap((call) => {
      const s = samples.get(call.name)!
      const hits = s.filter((x) => x.statements === 0)
      const fromDo = s.filter((x) => x.cache === 'do')
      const share = hits.length / s.length
      const hitRatio = p50(hits) / baselineP50
      const doRatio = p50(fromDo) / baselineP50
      const verdict = (met: boolean) => (met ? 'MET' : 'MISSED')
      return [
        {
          call: call.name,
          target: `calls with 0 statements >= ${pct(TARGET.zeroStatementShare)}`,
          measured: pct(share),
          verdict: verdict(share >= TARGET.zeroStatementShare),
        },
        {
          call: call.name,
          target: `p50 of those <= ${TARGET.hitP50VsBaseline}x baseline p50`,
          measured: hits.length ? `${times(hitRatio)} (${ms(p50(hits))} ms)` : 'n/a (none)',
          verdict: verdict(hitRatio <= TARGET.hitP50VsBaseline),
        },
        {
          call: call.name,
          target: `p50 of cache=do calls <= ${TARGET.doP50VsBaseline}x baseline p50`,
          measured: fromDo.length ? `${times(doRatio)} (${ms(p50(fromDo))} ms, ${fromDo.length} calls)` : 'n/a (none)',
          verdict: fromDo.length ? verdict(doRatio <= TARGET.doP50VsBaseline) : 'n/a',
        },
      ]
    })
  console.log(`Targets (baseline p50 ${ms(baselineP50)} ms; reported, not enforced)`)
  console.table(targets)

  return [
    { metric: 'database round trip added (BENCH_DB_LATENCY_MS)', value: `${ctx.dbLatencyMs} ms` },
    { metric: 'baseline p50 ms (404 under /api/internal, no database)', value: ms(baselineP50) },
    ...all.map((call) => {
      const problems = wrong.get(call.name)!
      const total = WARM_UP + CALLS
      return effect(
        `${call.name}: every answer ${call.expect}`,
        problems.length === 0,
        `${total - problems.length}/${total}${problems.length ? `; first wrong: ${problems[0]}` : ''}`,
      )
    }),
  ]
}

export const hotPathBenchmarks: CustomBenchmark[] = [
  {
    name: `hot path: the three per-message calls one at a time vs a no-database 404 (${CALLS} each)`,
    run: hotPath,
  },
]
