// One tenant's hostile uploads against another's ordinary documents, through the real path:
// multipart upload to `wrangler dev`, R2, the local queue (max_batch_size = 1 as in wrangler.toml),
// the consumer, the local embedder. Ordinary documents are indexed once without and once behind
// the bombs, in the same run; the workerd process's memory is sampled all along.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { docxBomb, emptyPagesPdf, repeated } from '../../test/support/hostile-files.ts'
import { proseText } from '../knowledge/corpus.ts'
import { runInChild } from '../knowledge/modules.ts'
import type { ExtractPeakResult } from '../knowledge/tasks.ts'
import { type BenchContext, type CustomBenchmark, effect } from '../types.ts'

const FILES = `${new URL('../..', import.meta.url).pathname}.wrangler/bench/hostile/`
const ORDINARY_DOCUMENTS = Number(process.env.BENCH_ISOLATION_DOCS ?? 20)
const MB = 1024 * 1024
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

interface Account {
  customerId: string
  kbId: string
  cookie: string
  csrf: string
}

async function account(ctx: BenchContext, label: string): Promise<Account> {
  const tag = randomUUID().slice(0, 8)
  const [customer] = await ctx.sql`
    INSERT INTO customers (name, slug, email) VALUES (${`${label} ${tag}`}, ${`bench-${label}-${tag}`}, ${`bench-${label}-${tag}@example.com`})
    RETURNING id`
  const [user] = await ctx.sql`
    INSERT INTO customer_users (customer_id, email, role, password_hash)
    VALUES (${customer!.id}, ${`bench-${label}-${tag}@example.com`}, 'admin', 'unused') RETURNING id`
  const [plan] = await ctx.sql`SELECT id FROM plans WHERE slug = 'pro'`
  await ctx.sql`
    INSERT INTO subscriptions (customer_id, plan_id, status, current_period_start, current_period_end)
    VALUES (${customer!.id}, ${plan!.id}, 'active', now() - interval '1 day', now() + interval '30 days')`
  const [kb] = await ctx.sql`
    INSERT INTO knowledge_bases (customer_id, name) VALUES (${customer!.id}, ${`${label} docs`}) RETURNING id`
  const token = randomBytes(32).toString('base64url')
  const csrf = randomBytes(24).toString('base64url')
  await ctx.sql`
    INSERT INTO customer_sessions (id, user_id, customer_id, csrf_token, expires_at)
    VALUES (${createHash('sha256').update(token).digest('hex')}, ${user!.id}, ${customer!.id}, ${csrf}, now() + interval '1 day')`
  return { customerId: customer!.id as string, kbId: kb!.id as string, cookie: `__Host-session=${token}`, csrf }
}

async function upload(ctx: BenchContext, to: Account, fileName: string, bytes: Uint8Array): Promise<string> {
  const form = new FormData()
  form.set('_csrf', to.csrf)
  form.append('files', new File([bytes as Uint8Array<ArrayBuffer>], fileName))
  const res = await fetch(`${ctx.baseUrl}/knowledge/${to.kbId}/documents`, {
    method: 'POST',
    headers: { Cookie: to.cookie, 'Sec-Fetch-Site': 'same-origin' },
    body: form,
    redirect: 'manual',
  })
  if (res.status !== 303)
    throw new Error(`upload of ${fileName} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  const [doc] = await ctx.sql`
    SELECT id FROM knowledge_documents WHERE knowledge_base_id = ${to.kbId} AND title = ${fileName}
    ORDER BY created_at DESC LIMIT 1`
  return doc!.id as string
}

/** Polls until every document is `indexed` or `error`; when each got there, ms after `since`. */
async function settle(ctx: BenchContext, ids: string[], since: number, timeoutMs = 600_000) {
  const done = new Map<string, { status: string; message: string | null; ms: number }>()
  while (done.size < ids.length) {
    if (performance.now() - since > timeoutMs) throw new Error(`documents not settled after ${timeoutMs / 1000} s`)
    const rows = await ctx.sql`
      SELECT id, status, error_message FROM knowledge_documents
      WHERE id = ANY(${ids}::uuid[]) AND status IN ('indexed', 'error')`
    for (const row of rows) {
      if (!done.has(row.id)) {
        done.set(row.id, { status: row.status, message: row.error_message, ms: performance.now() - since })
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return done
}

/** Resident memory of the workerd processes under the `wrangler dev` process, summed. */
async function workerdRssMb(rootPid: number): Promise<number> {
  const parents = new Map<number, number>()
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[1]) parents.set(pid, Number(fields[1]))
  }
  const isDescendant = (pid: number) => {
    for (let p = parents.get(pid); p; p = parents.get(p)) if (p === rootPid) return true
    return false
  }
  let kb = 0
  for (const pid of parents.keys()) {
    if (!isDescendant(pid)) continue
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (!cmd.includes('workerd')) continue
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  }
  return kb / 1024
}

function sampler(rootPid: number | undefined) {
  let peak = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped && rootPid) {
      peak = Math.max(peak, await workerdRssMb(rootPid))
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      return peak
    },
  }
}

const ordinaryDocument = (n: number) => new TextEncoder().encode(proseText(1500, 1000 + n))

const BOMBS: Array<[string, () => Promise<Uint8Array> | Uint8Array]> = [
  ['tag-bomb.html', () => repeated('<head>', 12 * MB)],
  ['emphasis-bomb.md', () => repeated('**a ', 12 * MB)],
  ['zip-bomb.docx', () => docxBomb(400 * MB)],
  ['lying-zip-bomb.docx', () => docxBomb(200 * MB, { lie: true })],
  ['empty-pages.pdf', () => emptyPagesPdf(5000)],
]

async function indexOrdinary(ctx: BenchContext, neighbour: Account, round: string) {
  const started = performance.now()
  const ids: string[] = []
  for (let n = 0; n < ORDINARY_DOCUMENTS; n++)
    ids.push(await upload(ctx, neighbour, `${round}-${n}.txt`, ordinaryDocument(n)))
  const settled = await settle(ctx, ids, started)
  const ms = Math.max(...[...settled.values()].map((s) => s.ms))
  const indexed = [...settled.values()].filter((s) => s.status === 'indexed').length
  return { ms, indexed, perSecond: indexed / (ms / 1000) }
}

const isolation: CustomBenchmark = {
  name: `knowledge: ${ORDINARY_DOCUMENTS} ordinary documents indexed without / behind ${BOMBS.length} bombs (wrangler dev, queue batch 1)`,
  async run(ctx: BenchContext) {
    const attacker = await account(ctx, 'attacker')
    const neighbour = await account(ctx, 'neighbour')
    try {
      const idle = ctx.workerPid ? await workerdRssMb(ctx.workerPid) : 0
      await settle(ctx, [await upload(ctx, neighbour, 'warm-up.txt', ordinaryDocument(999))], performance.now())

      const quiet = sampler(ctx.workerPid)
      const without = await indexOrdinary(ctx, neighbour, 'without')
      const quietPeak = await quiet.stop()

      const busy = sampler(ctx.workerPid)
      const bombStart = performance.now()
      const bombIds: Array<[string, string]> = []
      await mkdir(FILES, { recursive: true })
      for (const [name, build] of BOMBS) {
        const bytes = await build()
        await writeFile(`${FILES}${name}`, bytes)
        bombIds.push([name, await upload(ctx, attacker, name, bytes)])
      }
      await writeFile(`${FILES}ordinary.txt`, ordinaryDocument(0))
      const bombsSettled = settle(
        ctx,
        bombIds.map(([, id]) => id),
        bombStart,
      )
      const behind = await indexOrdinary(ctx, neighbour, 'behind')
      const bombs = await bombsSettled
      const busyPeak = await busy.stop()

      const peaks: Array<[string, ExtractPeakResult]> = []
      for (const [name] of [...BOMBS, ['ordinary.txt']] as const) {
        peaks.push([name, await runInChild<ExtractPeakResult>({ kind: 'extract-peak', path: `${FILES}${name}` })])
      }

      // Every ordinary document has its chunks; no bomb got any.
      const [stored] = await ctx.sql`
        SELECT count(*) FILTER (WHERE d.customer_id = ${neighbour.customerId} AND d.status = 'indexed'
                                AND NOT EXISTS (SELECT 1 FROM document_chunks c WHERE c.document_id = d.id))::int AS indexed_without_chunks,
               (SELECT count(*)::int FROM document_chunks c WHERE c.customer_id = ${attacker.customerId}) AS bomb_chunks
        FROM knowledge_documents d WHERE d.customer_id IN (${neighbour.customerId}, ${attacker.customerId})`
      const bombsFailed = bombIds.filter(([, id]) => bombs.get(id)?.status === 'error').length
      return [
        effect(
          'every ordinary document indexed, both rounds',
          without.indexed === ORDINARY_DOCUMENTS && behind.indexed === ORDINARY_DOCUMENTS,
          `${without.indexed} + ${behind.indexed} of ${ORDINARY_DOCUMENTS} + ${ORDINARY_DOCUMENTS}`,
        ),
        effect(
          'indexed documents have their chunks; bombs none',
          stored?.indexed_without_chunks === 0 && stored?.bomb_chunks === 0,
          `${stored?.indexed_without_chunks} indexed without chunks, ${stored?.bomb_chunks} bomb chunks`,
        ),
        effect('every bomb ends in error', bombsFailed === BOMBS.length, `${bombsFailed} of ${BOMBS.length}`),
        {
          metric: 'ordinary documents without bombs',
          value: `${without.indexed}/${ORDINARY_DOCUMENTS} indexed in ${fmt(without.ms / 1000, 1)} s = ${fmt(without.perSecond, 2)} docs/s`,
        },
        {
          metric: 'ordinary documents uploaded right after the bombs',
          value: `${behind.indexed}/${ORDINARY_DOCUMENTS} indexed in ${fmt(behind.ms / 1000, 1)} s = ${fmt(behind.perSecond, 2)} docs/s (${fmt(behind.perSecond / without.perSecond, 2)}x)`,
        },
        ...bombIds.map(([name, id]) => {
          const s = bombs.get(id)!
          return {
            metric: `bomb ${name}`,
            value: `${s.status} ${fmt(s.ms / 1000, 1)} s after the first bomb's upload began: ${s.message}`,
          }
        }),
        {
          metric: 'workerd RSS idle / peak without bombs / peak with bombs',
          value: ctx.workerPid
            ? `${fmt(idle)} MB / ${fmt(quietPeak)} MB / ${fmt(busyPeak)} MB (whole runtime, all isolates)`
            : 'not measured (no pid)',
        },
        ...peaks.map(([name, p]) => ({
          metric: `extract ${name} in Node: peak RSS growth / heap+buffers after`,
          value: `${fmt(p.peakRssDeltaMb, 1)} MB / ${fmt(p.heapMb, 1)} MB in ${fmt(p.ms)} ms (${p.outcome})`,
        })),
      ]
    } finally {
      await ctx.sql`DELETE FROM customers WHERE id IN (${attacker.customerId}, ${neighbour.customerId})`
    }
  },
}

export const knowledgeIsolationBenchmarks: CustomBenchmark[] = [isolation]
