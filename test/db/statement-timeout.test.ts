// statement_timeout is the server's own limit, so only a real PostgreSQL shows it: PGlite accepts
// the SET but never cancels (it has no timer signals), and its one session is shared by every
// connection, so what SHOW reports there is whichever connection set it last.
import { sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import { createDb, isStatementTimeout, STATEMENT_TIMEOUT_MESSAGE } from '../../src/db/client'
import { report } from '../support/billing'
import { testDb } from '../support/db'
import { env, testConfig } from '../support/env'
import { factories } from '../support/factories'
import { postUsageBatch } from '../support/race-requests'
import { describeOnPostgres, taggedWorker } from '../support/races'

/** A connection string whose sessions carry `application_name = tag`, to find them in pg_stat_activity. */
function tagged(tag: string) {
  const url = new URL(env.DATABASE_URL ?? '')
  url.searchParams.set('application_name', tag)
  return url.toString()
}

describeOnPostgres('statement_timeout, set by the server for every connection', () => {
  it('is 10 s for requests and 60 s for queue consumers and crons', async () => {
    const request = createDb(testConfig())
    const background = createDb(testConfig(), undefined, 'background')
    try {
      const show = async (handle: typeof request) =>
        (await handle.db.execute<{ statement_timeout: string }>(sql`SHOW statement_timeout`)).rows[0]?.statement_timeout
      expect(await show(request)).toBe('10s')
      expect(await show(background)).toBe('1min')
      // Inside a transaction too: the setting belongs to the session, not to one statement.
      const inTransaction = await request.db.transaction(
        async (tx) => (await tx.execute<{ statement_timeout: string }>(sql`SHOW statement_timeout`)).rows[0],
      )
      expect(inTransaction?.statement_timeout).toBe('10s')
    } finally {
      await Promise.all([request.close(), background.close()])
    }
  })

  it('a pg_sleep longer than the timeout is cancelled by the server (57014), not left running', async () => {
    const tag = `timeout-${crypto.randomUUID().slice(0, 8)}`
    const handle = createDb({ ...testConfig(), DATABASE_URL: tagged(tag), DATABASE_STATEMENT_TIMEOUT_MS: 300 })
    try {
      const error = await handle.db.execute(sql`SELECT pg_sleep(30)`).then(
        () => null,
        (e: unknown) => e,
      )
      expect(isStatementTimeout(error)).toBe(true)
      // The server stopped it. Had it not, its backend would still be `active` in pg_sleep (the pool
      // drops a connection whose query failed, but PostgreSQL notices a gone client only when it writes).
      const { rows } = await testDb().db.execute<{ state: string }>(
        sql`SELECT state FROM pg_stat_activity WHERE application_name = ${tag}`,
      )
      expect(rows.filter((row) => row.state === 'active')).toEqual([])
      // The handle goes on working.
      expect((await handle.db.execute<{ one: number }>(sql`SELECT 1 AS one`)).rows[0]?.one).toBe(1)
    } finally {
      await handle.close()
    }
  }, 40_000)

  it('a request whose statement waits past the timeout answers 503 in the envelope, without SQL or internals', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    const runtime = taggedWorker(`timeout-${crypto.randomUUID().slice(0, 8)}`, {
      DATABASE_STATEMENT_TIMEOUT_MS: '500',
    } as Record<string, string>)
    // Usage ingest locks the customer row first; the test holds that lock for longer than the timeout.
    const res = await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM customers WHERE id = ${customer.id} FOR UPDATE`)
      return postUsageBatch(runtime, [report(agent.id)])
    })
    expect(res.status).toBe(503)
    const text = await res.text()
    const body = JSON.parse(text) as { error: { code: string; message: string; request_id: string } }
    expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: STATEMENT_TIMEOUT_MESSAGE })
    expect(body.error.request_id).toBeTruthy()
    expect(text).not.toMatch(/select|customers|57014|canceling|statement timeout|pg_/i)
    // Nothing was applied: the ingest's transaction rolled back with its statement.
    const { rows } = await db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM usage_records WHERE customer_id = ${customer.id}`,
    )
    expect(rows[0]?.n).toBe(0)
  }, 40_000)
})
