import { sql } from 'drizzle-orm'
import type { Executor } from '../db/client'

/**
 * The two documents queues. `main` serves everyone; `suspect` takes the documents of a customer who
 * recently sent a file that broke an extraction limit, or who already has a burst in flight, so one
 * customer's bombs never sit in front of other customers' documents. Both are consumed by the
 * extraction Worker with the same handler; `suspect` with a lower concurrency (wrangler.extraction.toml).
 */
export type DocumentLane = 'main' | 'suspect'
export type DocumentQueues = Record<DocumentLane, Queue>

/** How long a document that failed on a limit keeps its customer's new documents on the suspect lane. */
const SUSPECT_AFTER_LIMIT_FAILURE_HOURS = 24
/**
 * A customer's documents in flight (`pending`/`processing`) that may sit on the main lane; the next
 * goes to the suspect lane, so a new attacker's burst takes at most this many places before others.
 */
export const MAX_IN_FLIGHT_ON_MAIN_LANE = 3

/**
 * The lane for a document of this customer that is about to be queued (and is already `pending` or
 * `processing`, so counted among the in-flight). One statement on the customer's index; the
 * in-flight count stops at the first document past the bound. Documents already on the suspect lane
 * count too: a customer with a backlog there does not get to skip it on the main lane.
 */
export async function documentLane(db: Executor, customerId: string): Promise<DocumentLane> {
  const { rows } = await db.execute<{ suspect: boolean }>(sql`
    SELECT EXISTS (
        SELECT 1 FROM knowledge_documents
        WHERE customer_id = ${customerId} AND failed_on_limits
          AND updated_at > now() - make_interval(hours => ${SUSPECT_AFTER_LIMIT_FAILURE_HOURS})
      )
      OR (
        SELECT count(*) FROM (
          SELECT 1 FROM knowledge_documents
          WHERE customer_id = ${customerId} AND status IN ('pending', 'processing')
          LIMIT ${MAX_IN_FLIGHT_ON_MAIN_LANE + 1}
        ) AS in_flight
      ) > ${MAX_IN_FLIGHT_ON_MAIN_LANE} AS suspect
  `)
  return rows[0]?.suspect ? 'suspect' : 'main'
}

/** The main Worker's producer bindings for the two lanes (wrangler.toml). */
export const documentQueues = (env: Pick<Env, 'DOCUMENT_QUEUE' | 'SUSPECT_DOCUMENT_QUEUE'>): DocumentQueues => ({
  main: env.DOCUMENT_QUEUE,
  suspect: env.SUSPECT_DOCUMENT_QUEUE,
})
