// `BENCH_ONLY=bombs npm run bench` (`BENCH_ONLY=bombs:` runs this one alone; the knowledge isolation
// benchmark's name mentions bombs too): every hostile file uploaded through the dev-like setup
// (`wrangler dev` running both Workers, the local documents queue at batch 1 as deployed). For each
// bomb: the time to `error` and the peak memory of the workerd process that runs the extraction
// Worker. Then an ordinary document is timed alone and right behind all the bombs, in the same run.
// Fails (the bench exits 1) unless every bomb ends `error` with its reason, the ordinary document is
// `indexed` with chunks, and behind the bombs it took at most twice its time alone.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { docxBomb, emptyPagesPdf, repeated } from '../../test/support/hostile-files.ts'
import { BenchCheckFailed } from '../checks.ts'
import { proseText } from '../knowledge/corpus.ts'
import { type BenchAccount, benchAccount, type Settled, uploadFile, waitUntilSettled } from '../knowledge/uploads.ts'
import type { BenchContext, CustomBenchmark } from '../types.ts'

const MB = 1024 * 1024
const ROUNDS = 3
const MAX_SLOWDOWN = 2

interface Bomb {
  fileName: string
  build: () => Uint8Array | Promise<Uint8Array>
  /** What its `error_message` must contain. */
  reason: string
}

/** One line per hostile file (generators in test/support/hostile-files.ts and test/support/bombs/). */
const BOMBS: Bomb[] = [
  { fileName: 'tag-bomb.html', build: () => repeated('<head>', 12 * MB), reason: 'The HTML file contains no text' },
  { fileName: 'emphasis-bomb.md', build: () => repeated('**a ', 12 * MB), reason: 'more than 4,000,000 characters' },
  { fileName: 'zip-bomb.docx', build: () => docxBomb(400 * MB), reason: 'unpacks to more than 100 MB' },
  { fileName: 'lying-zip-bomb.docx', build: () => docxBomb(200 * MB, { lie: true }), reason: 'more than 100 MB' },
  { fileName: 'empty-pages.pdf', build: () => emptyPagesPdf(5000), reason: 'The PDF has 5,000 pages' },
]

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
/** The same text every time, so its runs alone and behind the bombs compare. */
const ORDINARY_DOCUMENT = new TextEncoder().encode(proseText(1500, 2000))

/**
 * The workerd process that runs the Workers: a descendant of `wrangler dev` (`wranglerPid`). wrangler
 * starts a second workerd for its proxy, which listens on the public `port`; that one is left out.
 */
async function workerRuntimePid(wranglerPid: number, port: number): Promise<number> {
  const parents = new Map<number, number>()
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[1]) parents.set(pid, Number(fields[1]))
  }
  const descends = (pid: number) => {
    for (let p = parents.get(pid); p; p = parents.get(p)) if (p === wranglerPid) return true
    return false
  }
  const runtimes: number[] = []
  for (const pid of parents.keys()) {
    if (!descends(pid)) continue
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')
    if (!args[0]?.endsWith('/workerd')) continue
    if (args.some((a) => a.startsWith('--socket-addr=entry=') && a.endsWith(`:${port}`))) continue
    runtimes.push(pid)
  }
  if (runtimes.length !== 1) throw new Error(`expected one workerd runtime under wrangler, found ${runtimes.length}`)
  return runtimes[0]!
}

/** VmHWM and VmRSS of `pid`, in MB. */
async function memoryMb(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
  return { peak: kb('VmHWM') / 1024, resident: kb('VmRSS') / 1024 }
}

/** Starts a new peak: VmHWM falls back to the current resident size. */
const resetPeak = (pid: number) => writeFile(`/proc/${pid}/clear_refs`, '5')

/** Upload to `indexed`, and how long of it the document waited on the queue (its 303 to its run's start). */
async function timeOrdinary(ctx: BenchContext, account: BenchAccount, label: string) {
  const started = performance.now()
  const id = await uploadFile(ctx, account, `ordinary-${label}.txt`, ORDINARY_DOCUMENT)
  const queuedAt = Date.now()
  const settled = (await waitUntilSettled(ctx, [id], started)).get(id)!
  const [run] = await ctx.sql`SELECT processing_started_at FROM knowledge_documents WHERE id = ${id}`
  return { id, label, ...settled, queuedMs: new Date(run!.processing_started_at).getTime() - queuedAt }
}
type Ordinary = Awaited<ReturnType<typeof timeOrdinary>>

const endsAsExpected = (bomb: Bomb, s: Settled) => s.status === 'error' && (s.message ?? '').includes(bomb.reason)

const bombs: CustomBenchmark = {
  name: `bombs: ${BOMBS.length} hostile files through wrangler dev (both Workers): time to error, workerd peak memory, an ordinary document behind them`,
  async run(ctx: BenchContext) {
    if (!ctx.workerPid) throw new Error('the bombs benchmark needs the wrangler dev pid')
    const runtime = await workerRuntimePid(ctx.workerPid, Number(new URL(ctx.baseUrl).port))
    const attacker = await benchAccount(ctx, 'attacker')
    const neighbour = await benchAccount(ctx, 'neighbour')
    const rows: Array<{ metric: string; value: string }> = []
    const failures: string[] = []
    try {
      const built = await Promise.all(BOMBS.map(async (bomb) => ({ bomb, bytes: await bomb.build() })))
      await timeOrdinary(ctx, neighbour, 'warm-up') // warm-up: the extraction Worker's isolate and the embedder

      const idle = await memoryMb(runtime)
      rows.push({ metric: 'workerd runtime (both Workers) resident, idle', value: `${fmt(idle.resident)} MB` })

      for (const { bomb, bytes } of built) {
        const started = performance.now()
        const id = await uploadFile(ctx, attacker, bomb.fileName, bytes)
        // From the upload's answer on (the document is queued): the upload's own parsing, in the main
        // Worker, is behind this peak; the extraction is in it.
        const queuedAt = performance.now()
        await resetPeak(runtime)
        const atReset = await memoryMb(runtime)
        const settled = (await waitUntilSettled(ctx, [id], started)).get(id)!
        const after = await memoryMb(runtime)
        if (!endsAsExpected(bomb, settled)) {
          failures.push(`${bomb.fileName} ended ${settled.status}: ${settled.message} (expected "${bomb.reason}")`)
        }
        rows.push({
          metric: `${bomb.fileName} (${fmt(bytes.byteLength / MB, 1)} MB)`,
          value: `${settled.status} ${fmt(settled.ms)} ms after upload start (${fmt(settled.ms - (queuedAt - started))} ms after queued); workerd peak ${fmt(after.peak)} MB (+${fmt(after.peak - atReset.resident)} MB over ${fmt(atReset.resident)} MB); "${settled.message}"`,
        })
      }

      // Side by side, in rounds: the ordinary document alone, then uploaded right after the last bomb's
      // upload answered (the bombs' waits run meanwhile, so their times are their own).
      const alone: Ordinary[] = []
      const behind: Ordinary[] = []
      const bombsEnded: number[] = []
      let order = ''
      for (let round = 1; round <= ROUNDS; round++) {
        alone.push(await timeOrdinary(ctx, neighbour, `alone-${round}`))
        const bombsStarted = performance.now()
        const bombIds: string[] = []
        for (const { bomb, bytes } of built) bombIds.push(await uploadFile(ctx, attacker, bomb.fileName, bytes))
        const bombsSettling = waitUntilSettled(ctx, bombIds, bombsStarted)
        const ordinary = await timeOrdinary(ctx, neighbour, `behind-${round}`)
        const bombsSettled = await bombsSettling
        behind.push(ordinary)
        bombsEnded.push(Math.max(...[...bombsSettled.values()].map((b) => b.ms)))
        built.forEach(({ bomb }, i) => {
          const settled = bombsSettled.get(bombIds[i]!)!
          if (!endsAsExpected(bomb, settled)) {
            failures.push(`${bomb.fileName} (round ${round}) ended ${settled.status}: ${settled.message}`)
          }
        })
        const taken = await ctx.sql`
          SELECT title FROM knowledge_documents
          WHERE id = ANY(${[...bombIds, ordinary.id]}::uuid[]) ORDER BY processing_started_at`
        order = taken.map((r) => r.title).join(', ')
      }
      for (const [label, s] of [...alone, ...behind].map((s) => [s.label, s] as const)) {
        if (s.status !== 'indexed' || s.chunks === 0) failures.push(`ordinary document ${label} ended ${s.status}`)
      }
      const aloneMs = median(alone.map((s) => s.ms))
      const behindMs = median(behind.map((s) => s.ms))
      const slowdown = behindMs / aloneMs
      if (!(slowdown <= MAX_SLOWDOWN)) {
        failures.push(`the ordinary document behind the bombs took ${fmt(slowdown, 2)}x its time alone (medians)`)
      }
      const list = (values: number[]) => values.map((v) => fmt(v)).join(', ')
      rows.push(
        {
          metric: `ordinary document (1,500 words) alone, median of ${ROUNDS}`,
          value: `indexed in ${fmt(aloneMs)} ms (${list(alone.map((s) => s.ms))} ms; on the queue ${list(alone.map((s) => s.queuedMs))} ms; ${alone[0]!.chunks} chunks)`,
        },
        {
          metric: `same, uploaded right behind the ${BOMBS.length} bombs, median of ${ROUNDS}`,
          value: `indexed in ${fmt(behindMs)} ms = ${fmt(slowdown, 2)}x alone, limit ${MAX_SLOWDOWN}x (${list(behind.map((s) => s.ms))} ms; on the queue ${list(behind.map((s) => s.queuedMs))} ms)`,
        },
        {
          metric: 'bombs of each round all ended, after the first one’s upload began',
          value: `${list(bombsEnded)} ms; the extraction Worker took them in this order: ${order}`,
        },
        { metric: 'checks', value: failures.length === 0 ? 'all passed' : `${failures.length} failed` },
      )
    } finally {
      await ctx.sql`DELETE FROM customers WHERE id IN (${attacker.customerId}, ${neighbour.customerId})`
    }
    if (failures.length > 0) throw new BenchCheckFailed(failures, rows)
    return rows
  },
}

export const bombBenchmarks: CustomBenchmark[] = [bombs]
