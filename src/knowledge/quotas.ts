import { sql } from 'drizzle-orm'
import { normalizeLimits } from '../billing/rules/plan-limits'
import type { Executor } from '../db/client'
import { NotFound, type PlanLimit, PlanLimitReached, UPGRADE_URL } from '../errors'

const MB = 1024 * 1024
const fmt = (n: number) => n.toLocaleString('en-US')

const refuse = (message: string, details: { limit: PlanLimit; allowed: number | null; used: number }) =>
  new PlanLimitReached(message, { name: details.limit, allowed: details.allowed, used: details.used })

const CURRENT_PLAN = sql`
  FROM customers c
  LEFT JOIN subscriptions s ON s.customer_id = c.id AND s.status IN ('active', 'trialing')
  LEFT JOIN plans p ON p.id = s.plan_id
  WHERE c.id = `

type Usage = {
  limits: unknown
  has_plan: boolean
  period_start: string | Date | null
  documents: number
  stored_bytes: string | number
  embedded_tokens: string | number
}

async function usageOf(db: Executor, customerId: string, lock: boolean): Promise<Usage | undefined> {
  // The lock comes first, in its own statement: in READ COMMITTED a statement's subqueries read the
  // snapshot taken when it started, so counting in the locking statement itself would miss the
  // documents of an upload that held the lock meanwhile (seen on PostgreSQL, never on PGlite).
  if (lock) await db.execute(sql`SELECT id FROM customers WHERE id = ${customerId} FOR UPDATE`)
  const { rows } = await db.execute<Usage>(sql`
    SELECT p.limits, s.id IS NOT NULL AS has_plan, s.current_period_start AS period_start,
      (SELECT count(*) FROM knowledge_documents d WHERE d.customer_id = c.id)::int AS documents,
      (SELECT coalesce(sum(d.file_size), 0) FROM knowledge_documents d WHERE d.customer_id = c.id)::bigint AS stored_bytes,
      (SELECT coalesce(sum(u.tokens), 0) FROM knowledge_embedding_usage u
        WHERE u.customer_id = c.id AND u.period_start = s.current_period_start)::bigint AS embedded_tokens
    ${CURRENT_PLAN}${customerId}`)
  return rows[0]
}

/**
 * Throws {@link PlanLimitReached} when the customer may not add a document of `bytes`:
 * no active or trialing plan, the plan's document count or storage reached, or this period's embedding
 * tokens used up. Two statements; it locks the customer row, so call it in the transaction that
 * inserts the document and concurrent uploads are counted one after another.
 */
export async function assertCanAddDocument(db: Executor, customerId: string, bytes: number): Promise<void> {
  const row = await usageOf(db, customerId, true)
  if (!row) throw new NotFound('Customer')
  if (!row.has_plan) {
    throw refuse('An active subscription or trial is needed to add documents; choose a plan on the billing page.', {
      limit: 'plan',
      allowed: null,
      used: 0,
    })
  }
  const limits = normalizeLimits(row.limits)
  if (limits.documents !== undefined && row.documents >= limits.documents) {
    throw refuse(
      `Your plan allows ${fmt(limits.documents)} ${limits.documents === 1 ? 'document' : 'documents'} and you have ${fmt(row.documents)}; delete some or upgrade your plan to add more.`,
      { limit: 'documents', allowed: limits.documents, used: row.documents },
    )
  }
  const storedBytes = Number(row.stored_bytes)
  if (limits.document_storage_mb !== undefined && storedBytes + bytes > limits.document_storage_mb * MB) {
    throw refuse(
      `Your plan stores ${fmt(limits.document_storage_mb)} MB of documents and ${fmt(Math.ceil(storedBytes / MB))} MB are used; this file does not fit. Delete some documents or upgrade your plan.`,
      { limit: 'document_storage_mb', allowed: limits.document_storage_mb, used: Math.ceil(storedBytes / MB) },
    )
  }
  const tokens = Number(row.embedded_tokens)
  if (limits.embedding_tokens !== undefined && tokens >= limits.embedding_tokens) {
    throw refuse(
      `Your plan's ${fmt(limits.embedding_tokens)} tokens of document indexing for this billing period are used up; upgrade your plan or wait for the next period.`,
      { limit: 'embedding_tokens', allowed: limits.embedding_tokens, used: tokens },
    )
  }
}

/** How many tokens the customer may still have embedded this period (null: no limit), and the period. */
export async function embeddingAllowance(
  db: Executor,
  customerId: string,
): Promise<{ remaining: number | null; allowed: number | null; periodStart: Date | null }> {
  const row = await usageOf(db, customerId, false)
  // Uploads need a plan; a document queued before the plan ended is still indexed.
  if (!row?.has_plan) return { remaining: null, allowed: null, periodStart: null }
  const allowed = normalizeLimits(row.limits).embedding_tokens
  const periodStart = row.period_start ? new Date(row.period_start) : null
  if (allowed === undefined) return { remaining: null, allowed: null, periodStart }
  return { remaining: Math.max(0, allowed - Number(row.embedded_tokens)), allowed, periodStart }
}

/** Adds `tokens` to the customer's embedding usage of the period starting `periodStart`. */
export async function recordEmbeddedTokens(db: Executor, customerId: string, periodStart: Date, tokens: number) {
  await db.execute(sql`
    INSERT INTO knowledge_embedding_usage (customer_id, period_start, tokens)
    VALUES (${customerId}, ${periodStart.toISOString()}::timestamptz, ${tokens})
    ON CONFLICT (customer_id, period_start) DO UPDATE SET tokens = knowledge_embedding_usage.tokens + excluded.tokens`)
}

/** For the consumer: a permanent failure, shown on the document. */
export const embeddingBudgetExceeded = (documentTokens: number, remaining: number, allowed: number) =>
  new PlanLimitReached(
    `The document has ${fmt(documentTokens)} tokens to index, more than the ${fmt(remaining)} left of your plan's ${fmt(allowed)} for this billing period; upgrade your plan (${UPGRADE_URL}) or split the document.`,
    { name: 'embedding_tokens', allowed, used: allowed - remaining },
  )
