import { lt, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { attemptCounters } from '../db/schema'

/**
 * One counter of attempts (sign-ins from an address, sign-ups from a network...) over a fixed window
 * that starts with its first attempt. Beyond `freeHits` in the window the counter either refuses
 * until the window ends (`maxDelaySeconds` 0), or admits one attempt per delay: after the n-th attempt
 * of the window (refused ones count too) the next waits 2^(n - freeHits - 1) s, at most `maxDelaySeconds`.
 */
export interface AttemptBucket {
  key: string
  windowSeconds: number
  freeHits: number
  maxDelaySeconds?: number
}

export interface BucketState {
  key: string
  hits: number
  admitted: boolean
  /** When refused: seconds until this bucket admits an attempt again. */
  retryAfterSeconds: number
}

/**
 * Counts one attempt in every bucket and says whether each admits it, as ONE upsert: the row lock
 * on each key serialises concurrent attempts, so each sees its own count (30 simultaneous attempts
 * get 1..30, never 30 times "0 so far"). An attempt is counted before whatever it guards is checked.
 * Usable as a CTE (`WITH counted AS (...)`).
 */
export function countAttemptsStatement(buckets: readonly AttemptBucket[]): SQL {
  const rows = sql.join(
    buckets.map(
      (b) =>
        sql`(${b.key}, 1, now(), ${b.windowSeconds}::int, ${b.freeHits}::int, ${b.maxDelaySeconds ?? 0}::int, now(), true)`,
    ),
    sql`, `,
  )
  const expired = sql`(b.window_started_at <= now() - make_interval(secs => excluded.window_seconds))`
  const hits = sql`(CASE WHEN ${expired} THEN 1 ELSE b.hits + 1 END)`
  const admitted = sql`(CASE WHEN excluded.max_delay_seconds = 0 THEN ${hits} <= excluded.free_hits
      ELSE ${expired} OR ${hits} <= excluded.free_hits OR now() >= b.next_allowed_at END)`
  const delay = sql`make_interval(secs => least(excluded.max_delay_seconds, power(2, ${hits} - excluded.free_hits - 1)))`
  return sql`
    INSERT INTO ${attemptCounters} AS b
      (key, hits, window_started_at, window_seconds, free_hits, max_delay_seconds, next_allowed_at, admitted)
    VALUES ${rows}
    ON CONFLICT (key) DO UPDATE SET
      hits = ${hits},
      window_started_at = CASE WHEN ${expired} THEN now() ELSE b.window_started_at END,
      window_seconds = excluded.window_seconds,
      free_hits = excluded.free_hits,
      max_delay_seconds = excluded.max_delay_seconds,
      admitted = ${admitted},
      next_allowed_at = CASE
        WHEN NOT ${admitted} THEN b.next_allowed_at
        WHEN excluded.max_delay_seconds > 0 AND ${hits} > excluded.free_hits THEN now() + ${delay}
        ELSE now() END
    RETURNING key, hits, admitted,
      greatest(1, ceil(extract(epoch FROM
        (CASE WHEN max_delay_seconds = 0 THEN window_started_at + make_interval(secs => window_seconds)
              ELSE next_allowed_at END) - now())))::int AS retry_after_seconds`
}

export interface CountedRow extends Record<string, unknown> {
  key: string
  hits: number | string
  admitted: boolean
  retry_after_seconds: number | string
}

export function bucketStates(rows: readonly CountedRow[]): BucketState[] {
  return rows.map((r) => ({
    key: r.key,
    hits: Number(r.hits),
    admitted: r.admitted === true,
    retryAfterSeconds: Number(r.retry_after_seconds),
  }))
}

/** Counts one attempt in every bucket (one statement); see {@link countAttemptsStatement}. */
export async function countAttempt(db: Executor, buckets: readonly AttemptBucket[]): Promise<BucketState[]> {
  const result = await db.execute<CountedRow>(countAttemptsStatement(buckets))
  return bucketStates(result.rows)
}

/** The longest wait among the refusing buckets, or null when every bucket admitted the attempt. */
export function refusal(states: readonly BucketState[]): { retryAfterSeconds: number } | null {
  const refused = states.filter((s) => !s.admitted)
  if (refused.length === 0) return null
  return { retryAfterSeconds: Math.max(...refused.map((s) => s.retryAfterSeconds)) }
}

/** "30 seconds", "1 minute", "12 minutes": how long to wait, for a message. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`
}

/**
 * The network an address belongs to, for limits per network: IPv4 /24, IPv6 /64 (what one
 * customer or one provider's subscriber usually holds). Anything else is its own network.
 */
export function networkOf(address: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(address)
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`
  if (address.includes(':')) {
    const [head = '', tail = ''] = address.toLowerCase().split('::')
    const left = head ? head.split(':') : []
    const right = address.includes('::') ? (tail ? tail.split(':') : []) : []
    const groups = address.includes('::')
      ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
      : left
    if (groups.length === 8 && groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) {
      return `${groups
        .slice(0, 4)
        .map((g) => g.replace(/^0+(?=.)/, ''))
        .join(':')}::/64`
    }
  }
  return address
}

/** Counters whose window ended more than a day ago matter to no limit (housekeeping). */
export async function deleteStaleAttemptCounters(db: Executor, now = new Date()): Promise<void> {
  await db.delete(attemptCounters).where(lt(attemptCounters.windowStartedAt, new Date(now.getTime() - 2 * 86_400_000)))
}
