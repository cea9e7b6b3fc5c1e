import type { DbSettings } from '../db/client'
import type { Lease } from './leases'

/** How fresh an answer must be, set by the calling Worker (src/edge/freshness.ts). */
export interface Freshness {
  /** Older than this since the last check against Postgres: check again in the background. */
  verifyAfterMs: number
  /** Older than this: check before answering. */
  verifySyncAfterMs: number
  /** Postgres unreachable: answer from state confirmed at most this long ago, never older. */
  maxStaleMs: number
  /** How long the caller keeps an answer in its isolate cache (the life of a lease). */
  isolateTtlMs: number
}

export interface StateRequest {
  customerId: string
  freshness: Freshness
  /** The calling Worker's database settings, so both reach Postgres the same way. */
  database: DbSettings
}

/** An answer and how it was reached. `asOf` is when the state was last confirmed against Postgres. */
export type StateAnswer<T> =
  | { status: 'ok'; value: T; asOf: number; statements: number }
  | { status: 'unavailable'; statements: number }

export interface AgentView {
  /** `readWithCallerCheck`'s row for the agent called by itself or by nobody; null: not this customer's agent. */
  row: Record<string, unknown> | null
  lease: Lease
}

export interface UsageTotals {
  /** Epoch ms of the period the totals are for. */
  periodStart: number
  messages: number
  inputTokens: number
  outputTokens: number
}
