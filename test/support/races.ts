// The race suite runs only on a real PostgreSQL (TEST_DATABASE=postgres): PGlite behind
// scripts/pg-wire-server.ts is one session that connections take turns on, so nothing
// there is ever concurrent. Each Worker invocation opens its own pool, so invocations
// started together are concurrent database sessions. Every invocation of a race case
// connects with the case's `application_name`, and a sampler counts that case's sessions
// in pg_stat_activity: the peak proves they were concurrent (other test files do not count).
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test'
import { type SQL, sql } from 'drizzle-orm'
import { describe, inject } from 'vitest'
import './provided'
import extractionWorker from '../../queues/extraction-worker'
import { DOCUMENT_DEAD_LETTER_QUEUE, DOCUMENT_QUEUE, SUSPECT_DOCUMENT_QUEUE } from '../../queues/queue-names'
import type { Database } from '../../src/db/client'
import worker from '../../src/index'
import type { Bindings } from '../../src/types'
import { env } from './env'
import { BASE, waitOnExecutionContext } from './http'

export const onRealPostgres = inject('databaseKind') === 'postgres'
export const SKIP_MESSAGE =
  'race suite skipped: it needs a real PostgreSQL (TEST_DATABASE=postgres, see README "Tests on a real PostgreSQL")'

/** `describe` that runs only on a real PostgreSQL, and says why when it does not. */
export function describeOnPostgres(name: string, body: () => void) {
  if (!onRealPostgres) {
    describe.skip(`${name} (${SKIP_MESSAGE})`, body)
    return
  }
  describe(name, body)
}

/** Requests started in the same tick: at least this many run at once in every race case. */
export const CONCURRENCY = 48

/**
 * The Worker's entry points with bindings whose database sessions carry `application_name = tag`
 * (and any other bindings given, e.g. another relay).
 */
export function taggedWorker(tag: string, bindings: Partial<Bindings> = {}) {
  const url = new URL(env.DATABASE_URL ?? '')
  url.searchParams.set('application_name', tag)
  const taggedEnv = { ...env, ...bindings, DATABASE_URL: url.toString() } as Bindings
  return {
    async fetch(path: string, init?: RequestInit): Promise<Response> {
      const ctx = createExecutionContext()
      const res = await worker.fetch(new Request(`${BASE}${path}`, init), taggedEnv, ctx)
      const body = await res.arrayBuffer()
      await waitOnExecutionContext(ctx)
      return new Response(body, res)
    },
    async queue(queue: string, messages: Array<{ id: string; timestamp: Date; attempts: number; body: unknown }>) {
      const batch = createMessageBatch(queue, messages)
      const ctx = createExecutionContext()
      // Documents are the extraction Worker's queues; the main Worker consumes the rest.
      const documents = [DOCUMENT_QUEUE, SUSPECT_DOCUMENT_QUEUE, DOCUMENT_DEAD_LETTER_QUEUE].includes(queue)
      await (documents ? extractionWorker : worker).queue(batch, taggedEnv, ctx)
      return getQueueResult(batch, ctx)
    },
    async scheduled(cron: string, scheduledTime: Date) {
      const ctx = createExecutionContext()
      await worker.scheduled(createScheduledController({ cron, scheduledTime }), taggedEnv, ctx)
      await waitOnExecutionContext(ctx)
    },
  }
}

/**
 * Runs `work` while sampling pg_stat_activity, and returns its result with the most sessions
 * tagged `tag` (see `taggedWorker`) that were open at the same moment.
 */
export async function withPeakSessions<T>(db: Database, tag: string, work: () => Promise<T>) {
  let peak = 0
  let done = false
  const sampler = (async () => {
    while (!done) {
      const { rows } = await db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${tag}`,
      )
      peak = Math.max(peak, Number(rows[0]?.n ?? 0))
      await new Promise((r) => setTimeout(r, 2))
    }
  })()
  try {
    const result = await work()
    return { result, peakSessions: peak }
  } finally {
    done = true
    await sampler
  }
}

/**
 * Runs `work` while the test holds a lock (`lock`, taken in a transaction of its own) that the
 * requests `work` sends must wait for, and lets go once at least `queued` sessions tagged `tag`
 * wait on a lock: those requests are then open at the same moment however slowly a busy machine
 * (or coverage instrumentation) starts them, and still race each other once it is free. Gives up
 * waiting after `patienceMs` (the test's own assertions then tell what happened).
 */
export async function behindLock<T>(
  db: Database,
  lock: SQL,
  tag: string,
  queued: number,
  work: () => Promise<T>,
  patienceMs = 30_000,
): Promise<T> {
  let locked!: () => void
  let release!: () => void
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve
  })
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const holder = db.transaction(async (tx) => {
    await tx.execute(lock)
    locked()
    await released
  })
  await isLocked
  const running = work()
  const deadline = Date.now() + patienceMs
  try {
    while (Date.now() < deadline) {
      const { rows } = await db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${tag} AND wait_event_type = 'Lock'`,
      )
      if (Number(rows[0]?.n ?? 0) >= queued) break
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    release()
    await holder
  }
  return running
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** One line of figures per race case in the test output (for the README and closing notes). */
export function reportFigures(name: string, figures: Record<string, number | string>) {
  console.log(`[race figures] ${name}: ${JSON.stringify(figures)}`)
}
