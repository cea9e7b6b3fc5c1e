// A customer switching agents off and on while billing switches them off: the manual updates are
// conditional in SQL, so whatever interleaving PostgreSQL picks, a billing switch-off stands.
import { inArray, sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import * as s from '../../src/db/schema'
import { GRACE_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { testDb } from '../support/db'
import { BASE } from '../support/http'
import { meteredCustomer } from '../support/metered-customer'
import { atOnce } from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures, shuffled, taggedWorker } from '../support/races'
import { WebClient } from '../support/web-client'

// As in billing.test.ts: a grace period that ended long ago, and the job "the day after".
const GRACE_ENDED = new Date('1999-06-01T00:00:00Z')
const JOB_TIME = new Date('1999-06-02T00:00:00Z')

describeOnPostgres('race: manual switches against billing', () => {
  it('deactivate and activate at once, with the grace-expiry job: billing keeps every agent off, its reason intact', async () => {
    const { db } = testDb()
    const { f, customer, agent } = await meteredCustomer(db, {
      messagesUsed: 100,
      customer: { gracePeriodEndsAt: GRACE_ENDED },
    })
    const agents = [agent, ...(await Promise.all([1, 2, 3].map(() => f.agentInstance({ customerId: customer.id }))))]
    const web = new WebClient()
    await web.loginAs(db, await f.customerUser({ customerId: customer.id }))
    const tag = 'race-agent-switch'
    await taggedWorker(tag).scheduled(GRACE_EXPIRY_CRON, JOB_TIME)

    const clicks = Array.from({ length: CONCURRENCY }, (_, i) => ({
      agent: agents[i % agents.length]!,
      action: i % 2 === 0 ? 'deactivate' : 'activate',
    }))
    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: BASE,
      Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    }
    // Every click waits on the agents' rows until at least 20 of them are queued, then they race.
    const { results, peakSessions } = await atOnce(
      db,
      tag,
      (runtime) =>
        shuffled([
          ...clicks.map(async ({ agent, action }) => {
            const res = await runtime.fetch(`/agents/${agent.id}/${action}`, {
              method: 'POST',
              headers,
              body: new URLSearchParams({ _csrf: web.csrf! }),
              redirect: 'manual',
            })
            return { action, status: res.status }
          }),
          ...[1, 2].map(async () => {
            await runtime.scheduled(GRACE_EXPIRY_CRON, JOB_TIME)
            return { action: 'grace-expiry', status: 200 }
          }),
        ]),
      sql`SELECT id FROM agent_instances WHERE customer_id = ${customer.id}::uuid FOR UPDATE`,
    )
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    const statusesOf = (action: string) => results.filter((r) => r.action === action).map((r) => r.status)
    expect(statusesOf('deactivate')).toEqual(clicks.filter((c) => c.action === 'deactivate').map(() => 303))
    // Activation is refused (the page says billing keeps the agent off), never a 5xx, never done.
    expect(statusesOf('activate')).toEqual(clicks.filter((c) => c.action === 'activate').map(() => 409))
    const rows = await db
      .select({ isActive: s.agentInstances.isActive, reason: s.agentInstances.disabledReason })
      .from(s.agentInstances)
      .where(
        inArray(
          s.agentInstances.id,
          agents.map((a) => a.id),
        ),
      )
    expect(rows).toEqual(agents.map(() => ({ isActive: false, reason: 'grace_expired' })))
    reportFigures('manual switches against billing', {
      clicks: clicks.length,
      grace_jobs: 2,
      peak_sessions: peakSessions,
    })
  })
})
