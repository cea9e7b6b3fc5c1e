// Customers, uploads and waits for benchmarks that go through the real path: a signed-in customer's
// multipart upload to `wrangler dev`, R2, the documents queue, the extraction Worker.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { BenchContext } from '../types.ts'

export interface BenchAccount {
  customerId: string
  kbId: string
  cookie: string
  csrf: string
}

/** A customer on the `pro` plan with a knowledge base and a signed-in session. */
export async function benchAccount(ctx: BenchContext, label: string): Promise<BenchAccount> {
  const tag = randomUUID().slice(0, 8)
  const email = `bench-${label}-${tag}@example.com`
  const [customer] = await ctx.sql`
    INSERT INTO customers (name, slug, email) VALUES (${`${label} ${tag}`}, ${`bench-${label}-${tag}`}, ${email})
    RETURNING id`
  const [user] = await ctx.sql`
    INSERT INTO customer_users (customer_id, email, role, password_hash)
    VALUES (${customer!.id}, ${email}, 'admin', 'unused') RETURNING id`
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

/**
 * Posts a form as the customer's browser does, `_csrf` first (the only place the CSRF check looks in
 * a multipart body), expecting the 303 back; the new document's id.
 */
async function postForm(
  ctx: BenchContext,
  to: BenchAccount,
  path: string,
  fields: Array<[string, string | File]>,
  title: string,
) {
  const form = new FormData()
  form.set('_csrf', to.csrf)
  for (const [name, value] of fields) form.append(name, value)
  const res = await fetch(`${ctx.baseUrl}/knowledge/${to.kbId}/${path}`, {
    method: 'POST',
    headers: { Cookie: to.cookie, 'Sec-Fetch-Site': 'same-origin' },
    body: form,
    redirect: 'manual',
  })
  if (res.status !== 303) {
    throw new Error(`${path} "${title}" answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  }
  const [doc] = await ctx.sql`
    SELECT id FROM knowledge_documents WHERE knowledge_base_id = ${to.kbId} AND title = ${title}
    ORDER BY created_at DESC LIMIT 1`
  return doc!.id as string
}

/** Uploads one file as the customer's browser does; the new document's id. */
export function uploadFile(ctx: BenchContext, to: BenchAccount, fileName: string, bytes: Uint8Array) {
  return postForm(ctx, to, 'documents', [['files', new File([bytes as Uint8Array<ArrayBuffer>], fileName)]], fileName)
}

/** Adds pasted text (POST /knowledge/:id/text), the quickest way onto the documents queue; its id. */
export function pasteText(ctx: BenchContext, to: BenchAccount, title: string, text: string) {
  return postForm(
    ctx,
    to,
    'text',
    [
      ['title', title],
      ['text', text],
    ],
    title,
  )
}

export interface Settled {
  status: 'indexed' | 'error'
  message: string | null
  chunks: number
  failedOnLimits: boolean
  /** When its current run began (`processing_started_at`), ms after `since`. */
  startedMs: number
  /** When it got there, ms after `since`. */
  ms: number
}

/** A database timestamp on the `performance.now()` clock (through the wall clock now: the two drift apart). */
const onPerformanceClock = (at: Date | string) => new Date(at).getTime() - (Date.now() - performance.now())

/**
 * Polls until every document is `indexed` or `error`; `onSettled` runs as each one is seen there
 * (before the next poll), e.g. to read memory as each document finishes.
 */
export async function waitUntilSettled(
  ctx: BenchContext,
  ids: string[],
  since: number,
  onSettled?: (id: string, settled: Settled) => Promise<void>,
  timeoutMs = 600_000,
) {
  const done = new Map<string, Settled>()
  while (done.size < ids.length) {
    if (performance.now() - since > timeoutMs) throw new Error(`documents not settled after ${timeoutMs / 1000} s`)
    const rows = await ctx.sql`
      SELECT id, status, error_message, chunk_count, failed_on_limits, processing_started_at FROM knowledge_documents
      WHERE id = ANY(${ids}::uuid[]) AND status IN ('indexed', 'error')`
    for (const row of rows) {
      if (done.has(row.id)) continue
      const settled: Settled = {
        status: row.status,
        message: row.error_message,
        chunks: row.chunk_count,
        failedOnLimits: row.failed_on_limits,
        startedMs: onPerformanceClock(row.processing_started_at) - since,
        ms: performance.now() - since,
      }
      done.set(row.id, settled)
      await onSettled?.(row.id, settled)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return done
}
