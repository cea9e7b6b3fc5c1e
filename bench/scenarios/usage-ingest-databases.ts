// Usage ingest on PGlite (one WASM session: everything serialised) and on a real PostgreSQL 15
// (truly concurrent sessions) in the same run: 1,000-report batches from 10 connections, and the
// p99 of can-respond (the runtime's per-message check) while that ingest runs, against its p99 idle
// just before (target: at most twice).
import { randomUUID } from 'node:crypto'
import autocannon from 'autocannon'
import postgres, { type Sql } from 'postgres'
import { realPostgresAvailable } from '../../scripts/local-postgres.ts'
import { spawnTestServices } from '../../scripts/spawn-services.ts'
import { startWranglerDev } from '../../scripts/wrangler-dev.ts'
import { type BenchContext, type BenchRow, type CustomBenchmark, effect } from '../types.ts'
import { benchWorkerVars } from '../worker-vars.ts'

const BATCH = 1000
const CONNECTIONS = 10
const CUSTOMERS = 10
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8)
/** can-respond's p99 during ingest may be at most this many times its p99 idle. */
const DURING_VS_IDLE_TARGET = 2

/** Ten customers (ingest locks per customer) with an agent each on an unlimited plan. */
async function agents(sql: Sql): Promise<string[]> {
  const tag = randomUUID().slice(0, 8)
  const [type] = await sql`
    INSERT INTO agent_types (name, slug, system_prompt_template) VALUES (${`Ingest ${tag}`}, ${`ingest-${tag}`}, 'Hi')
    RETURNING id`
  const [plan] = await sql`
    INSERT INTO plans (name, slug, limits) VALUES (${`Ingest ${tag}`}, ${`ingest-${tag}`}, ${sql.json({ messages: 1e12, tokens: 1e15 })})
    RETURNING id`
  const ids: string[] = []
  for (let i = 0; i < CUSTOMERS; i++) {
    const [customer] = await sql`
      INSERT INTO customers (name, slug, email) VALUES (${`Ingest ${tag} ${i}`}, ${`ingest-${tag}-${i}`}, ${`ingest-${tag}-${i}@example.com`})
      RETURNING id`
    await sql`
      INSERT INTO subscriptions (customer_id, plan_id, status, current_period_start, current_period_end)
      VALUES (${customer!.id}, ${plan!.id}, 'active', now() - interval '1 day', now() + interval '30 days')`
    const [agent] = await sql`
      INSERT INTO agent_instances (customer_id, agent_type_id, name, configuration, api_key_prefix, api_key_hash)
      VALUES (${customer!.id}, ${type!.id}, 'Ingest agent', ${sql.json({})}, ${`efk_in${tag}${i}`}, ${randomUUID()})
      RETURNING id`
    ids.push(agent!.id as string)
  }
  return ids
}

async function measure(baseUrl: string, sql: Sql, serviceSecret: string) {
  const agentIds = await agents(sql)
  const auth = { Authorization: `Bearer ${serviceSecret}` }
  const body = () => {
    const agent = agentIds[Math.floor(Math.random() * agentIds.length)]!
    const timestamp = new Date().toISOString()
    return JSON.stringify({
      reports: Array.from({ length: BATCH }, () => ({
        agent_instance_id: agent,
        timestamp,
        request_id: randomUUID(),
        metrics: { messages: 1, input_tokens: 120, output_tokens: 80 },
      })),
    })
  }
  const canRespondLoad = () =>
    autocannon({
      url: `${baseUrl}/api/internal/billing/can-respond/${agentIds[0]}`,
      connections: 2,
      duration: DURATION_S,
      headers: { ...auth, 'X-Agent-Instance-ID': agentIds[0]! },
    })
  // The same load alone first: what ingest does to it is the ratio of the two p99s.
  const idle = await canRespondLoad()
  const [ingest, canRespond] = await Promise.all([
    autocannon({
      url: baseUrl,
      connections: CONNECTIONS,
      duration: DURATION_S,
      timeout: 60,
      requests: [
        {
          method: 'POST',
          path: '/api/internal/usage/batch',
          headers: { ...auth, 'content-type': 'application/json' },
          setupRequest: (req: object) => ({ ...req, body: body() }),
        },
      ],
    }),
    canRespondLoad(),
  ])
  // Every report has its own request_id: each answered batch adds BATCH messages over the ten agents
  // (batches still in flight when autocannon stopped counting may have been ingested too).
  const answered = Object.entries(ingest.statusCodeStats ?? {})
    .filter(([status]) => status.startsWith('2'))
    .reduce((n, [, s]) => n + (s as { count: number }).count, 0)
  const [row] = await sql`
    SELECT coalesce(sum(messages), 0)::int AS messages FROM usage_records WHERE agent_instance_id = ANY(${agentIds}::uuid[])`
  const messages = Number(row?.messages ?? 0)
  const failures = [ingest, canRespond, idle].reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0)
  const effects: BenchRow[] = [
    effect(
      'messages recorded (answered batches x 1,000 .. sent x 1,000)',
      answered > 0 && messages >= answered * BATCH && messages <= ingest.requests.sent * BATCH,
      `${messages} (${answered * BATCH} .. ${ingest.requests.sent * BATCH})`,
    ),
    effect('no error or non-2xx answer (ingest, can-respond idle and during)', failures === 0, String(failures)),
  ]
  return {
    effects,
    figures: measuredFigures(ingest, canRespond, idle),
  }
}

function measuredFigures(ingest: autocannon.Result, canRespond: autocannon.Result, idle: autocannon.Result) {
  const ratio = canRespond.latency.p99 / idle.latency.p99
  return {
    'reports/s': Math.round(ingest.requests.average * BATCH),
    'batch p50 ms': ingest.latency.p50,
    'batch p99 ms': ingest.latency.p99,
    'batch errors+non2xx': ingest.errors + ingest.timeouts + ingest.non2xx,
    'can-respond p99 ms (idle, just before)': idle.latency.p99,
    'can-respond p99 ms (during ingest)': canRespond.latency.p99,
    [`can-respond p99 during / idle (target <= ${DURING_VS_IDLE_TARGET}x)`]: `${ratio.toFixed(2)}x ${ratio <= DURING_VS_IDLE_TARGET ? 'MET' : 'MISSED'}`,
    'can-respond errors+non2xx (idle and during)':
      canRespond.errors + canRespond.timeouts + canRespond.non2xx + idle.errors + idle.timeouts + idle.non2xx,
  }
}

export const usageIngestDatabaseBenchmarks: CustomBenchmark[] = [
  {
    name: `usage ingest: PGlite vs PostgreSQL 15 (${BATCH}-report batches, ${CONNECTIONS} connections, ${DURATION_S}s)`,
    async run(ctx: BenchContext) {
      const rows: BenchRow[] = []
      const add = (backend: string, { figures, effects }: Awaited<ReturnType<typeof measure>>) => {
        for (const [metric, value] of Object.entries(figures))
          rows.push({ metric: `${backend}: ${metric}`, value: String(value) })
        for (const e of effects) rows.push({ ...e, metric: `${backend}: ${e.metric}` })
      }
      add('PGlite', await measure(ctx.baseUrl, ctx.sql, ctx.serviceSecret))
      if (!realPostgresAvailable()) {
        rows.push({ metric: 'PostgreSQL 15', value: 'skipped: run scripts/install-postgres.sh' })
        return rows
      }
      const pg = await spawnTestServices('postgres', { dbLatencyMs: ctx.dbLatencyMs })
      const worker = await startWranglerDev(benchWorkerVars(pg.services, ctx.serviceSecret), 'bench-postgres')
      const sql = postgres(pg.services.databaseUrl, { max: 4, onnotice: () => {} })
      try {
        add('PostgreSQL 15', await measure(worker.url, sql, ctx.serviceSecret))
      } finally {
        await sql.end()
        await worker.stop()
        await pg.stop()
      }
      return rows
    },
  },
]
