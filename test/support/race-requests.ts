// Requests to a tagged Worker (see `taggedWorker` in ./races) as the agent runtime and Stripe send
// them, and bursts of requests started at once: the race suite and the outage test.
import type { SQL } from 'drizzle-orm'
import type { Database } from '../../src/db/client'
import { internalHeaders } from './http'
import { behindLock, taggedWorker, withPeakSessions } from './races'
import { signature } from './stripe'

export type TaggedWorker = ReturnType<typeof taggedWorker>

/** Requests a burst lets through once this many of them wait behind its lock. */
const QUEUED_BEHIND_LOCK = 20

/** POST /api/internal/usage/batch as the agent runtime sends it. */
export function postUsageBatch(runtime: TaggedWorker, reports: unknown[]) {
  return runtime.fetch('/api/internal/usage/batch', {
    method: 'POST',
    headers: { ...internalHeaders(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ reports }),
  })
}

export interface SignedDelivery {
  body: string
  signature: string
}

/** An event's body with its Stripe-Signature header (signed ahead, so signing never slows a burst). */
export async function signedDelivery(event: object): Promise<SignedDelivery> {
  const body = JSON.stringify(event)
  return { body, signature: await signature(body) }
}

/** POST /billing/webhook/ as Stripe delivers it. */
export function postWebhookDelivery(runtime: TaggedWorker, delivery: SignedDelivery) {
  return runtime.fetch('/billing/webhook/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': delivery.signature },
    body: delivery.body,
  })
}

/**
 * Starts the `requests` to a Worker tagged `tag` in the same tick and returns their results with
 * the most of their database sessions open at once (see `withPeakSessions`). With `lock`, they
 * first queue behind it until 20 of them wait (see `behindLock`), then race.
 */
export async function atOnce<T>(
  db: Database,
  tag: string,
  requests: (runtime: TaggedWorker) => Array<Promise<T>>,
  lock?: SQL,
) {
  const runtime = taggedWorker(tag)
  const send = () => Promise.all(requests(runtime))
  const { result, peakSessions } = await withPeakSessions(db, tag, () =>
    lock ? behindLock(db, lock, tag, QUEUED_BEHIND_LOCK, send) : send(),
  )
  return { results: result, peakSessions }
}
