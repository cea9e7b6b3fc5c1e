// The hot path at the edge with the production timings (src/edge/freshness.ts), for test/edge/.
// The rest of the suite runs with every answer confirmed against Postgres (vitest.config.ts).
import { expect } from 'vitest'
import { FRESHNESS } from '../../src/edge/freshness'
import type { Bindings } from '../../src/types'
import { internalHeaders } from './http'
import { taggedWorker } from './races'

export type EdgeRuntime = ReturnType<typeof taggedWorker>

/** The Worker with the production freshness timings (and any other bindings given). */
export function edgeRuntime(tag = 'edge', bindings: Partial<Record<keyof Bindings, string>> = {}): EdgeRuntime {
  return taggedWorker(tag, {
    EDGE_ISOLATE_TTL_MS: String(FRESHNESS.isolateTtlMs),
    EDGE_VERIFY_AFTER_MS: String(FRESHNESS.verifyAfterMs),
    EDGE_VERIFY_SYNC_AFTER_MS: String(FRESHNESS.verifySyncAfterMs),
    EDGE_MAX_STALE_MS: String(FRESHNESS.maxStaleMs),
    ...bindings,
  } as Partial<Bindings>)
}

/** `cache;desc="l1"|"do"|"db"` of a hot-path answer. */
export function sourceOf(res: Response): string | null {
  return /cache;desc="(\w+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1] ?? null
}

export interface HotAnswer {
  res: Response
  status: number
  source: string | null
  statements: number
  body: Record<string, unknown>
}

async function answer(res: Response): Promise<HotAnswer> {
  const statements = Number(/db;desc="(\d+) statements"/.exec(res.headers.get('Server-Timing') ?? '')?.[1] ?? 0)
  const text = await res.text()
  return { res, status: res.status, source: sourceOf(res), statements, body: text ? JSON.parse(text) : {} }
}

export const hotCalls = (runtime: EdgeRuntime) => ({
  canRespond: async (agentId: string) =>
    answer(await runtime.fetch(`/api/internal/billing/can-respond/${agentId}`, { headers: internalHeaders() })),
  config: async (agentId: string) =>
    answer(await runtime.fetch(`/api/internal/agent/${agentId}/config`, { headers: internalHeaders(agentId) })),
  validateKey: async (key: string) =>
    answer(
      await runtime.fetch('/api/internal/agent/validate-key', {
        headers: internalHeaders(undefined, { 'X-API-Key': key }),
      }),
    ),
})

/**
 * Calls `read` until `reflects` holds, and returns how long that took (ms) from `since`. Fails after
 * `withinMs` plus a margin for a busy machine, saying what it saw last.
 */
export async function timeUntil(
  read: () => Promise<HotAnswer>,
  reflects: (a: HotAnswer) => boolean,
  withinMs: number,
  since = Date.now(),
): Promise<number> {
  let last: HotAnswer | undefined
  while (Date.now() - since <= withinMs) {
    last = await read()
    if (reflects(last)) return Date.now() - since
    await new Promise((r) => setTimeout(r, 50))
  }
  expect.fail(
    `not reflected within ${withinMs} ms; last answer ${last?.status} ${JSON.stringify(last?.body).slice(0, 300)}`,
  )
}
