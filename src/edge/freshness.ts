import type { AppConfig } from '../env'
import type { Freshness } from './types'

/**
 * The freshness bounds of the hot path (README "The hot path at the edge" derives them):
 * - an isolate keeps an answer 1 s, so a change a writer announced reaches every isolate within
 *   about 1 s (bound: 2 s);
 * - the Durable Object asks Postgres for the version in the background once its copy is 2 s old,
 *   and before answering once it is 7 s old, so a change made by hand reaches every isolate within
 *   7 + 1 s plus a round trip (bound: 10 s);
 * - with Postgres unreachable it answers from a copy confirmed at most 5 minutes ago; past that,
 *   can-respond denies with `state_unavailable` and the other calls answer 503.
 */
export const FRESHNESS: Freshness = {
  isolateTtlMs: 1_000,
  verifyAfterMs: 2_000,
  verifySyncAfterMs: 7_000,
  maxStaleMs: 5 * 60_000,
}

export function freshnessOf(config: AppConfig): Freshness {
  return {
    isolateTtlMs: config.EDGE_ISOLATE_TTL_MS ?? FRESHNESS.isolateTtlMs,
    verifyAfterMs: config.EDGE_VERIFY_AFTER_MS ?? FRESHNESS.verifyAfterMs,
    verifySyncAfterMs: config.EDGE_VERIFY_SYNC_AFTER_MS ?? FRESHNESS.verifySyncAfterMs,
    maxStaleMs: config.EDGE_MAX_STALE_MS ?? FRESHNESS.maxStaleMs,
  }
}
