// A customer switching agents off and on while billing switches them off: the manual updates are
// conditional in SQL, so whatever interleaving PostgreSQL picks, a billing switch-off stands.
import { eq, sql } from 'drizzle-orm'
import { expect, it } from 'vitest'
import * as s from '../../src/db/schema'
import { GRACE_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { overLimitAfterGrace } from '../support/billing'
import { BASE } from '../support/http'
import {
  behindLock,
  CONCURRENCY,
  describeOnPostgres,
  reportFigures,
  shuffled,
  taggedWorker,
  withPeakSessions,
} from '../support/races'
import { signedInAccount } from '../support/web'

const LIMIT = 10
// As in billing.test.ts: a grace period that ended long ago, and the job "the day after".
const GRACE_ENDED = new Date('1999-06-01T00:00:00Z')
const JOB_TIME = new Date('1999-06-02T00:00:00Z')

describeOnPostgres('race: manual switches against billing', () => {
  it('deactivate and activate at once, with the grace-expiry job: billing keeps every agent off, its reason intact', async () => {
    const { db, f, customer, web } = await signedInAccount({ gracePeriodEndsAt: GRACE_ENDED })
    const { agents } = await overLimitAfterGrace(f, { customerId: customer.id, limit: LIMIT, agentCount: 4 })
    const tag = 'race-agent-switch'
    const runtime = taggedWorker(tag)
    await runtime.scheduled(GRACE_EXPIRY_CRON, JOB_TIME)

    const headers = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: BASE,
      Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    }
    const clicks = Array.from({ length: CONCURRENCY }, (_, i) => ({
      agent: agents[i % agents.length]!,
      action: i % 2 === 0 ? 'deactivate' : 'activate',
    }))
    const work = [
      ...clicks.map(({ agent, action }) => async () => {
        const res = await runtime.fetch(`/agents/${agent.id}/${action}`, {
          method: 'POST',
          headers,
          body: new URLSearchParams({ _csrf: web.csrf! }),
          redirect: 'manual',
        })
        return { action, status: res.status }
      }),
      ...[1, 2].map(() => async () => {
        await runtime.scheduled(GRACE_EXPIRY_CRON, JOB_TIME)
        return { action: 'grace-expiry', status: 200 }
      }),
    ]
    // Every click waits on the agents' rows until at least 20 of them are queued, then they race.
    const { result, peakSessions } = await withPeakSessions(db, tag, () =>
      behindLock(
        db,
        sql`SELECT id FROM agent_instances WHERE customer_id = ${customer.id}::uuid FOR UPDATE`,
        tag,
        20,
        () => Promise.all(shuffled(work).map((run) => run())),
      ),
    )
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)

    expect(result.filter((r) => r.action === 'deactivate').map((r) => r.status)).toEqual(
      clicks.filter((c) => c.action === 'deactivate').map(() => 303),
    )
    // Activation is refused (the page says billing keeps the agent off), never a 5xx, never done.
    expect(result.filter((r) => r.action === 'activate').map((r) => r.status)).toEqual(
      clicks.filter((c) => c.action === 'activate').map(() => 409),
    )
    const rows = await db
      .select({ isActive: s.agentInstances.isActive, reason: s.agentInstances.disabledReason })
      .from(s.agentInstances)
      .where(eq(s.agentInstances.customerId, customer.id))
    expect(rows).toEqual(agents.map(() => ({ isActive: false, reason: 'grace_expired' })))
    reportFigures('manual switches against billing', {
      clicks: clicks.length,
      grace_jobs: 2,
      peak_sessions: peakSessions,
      non_3xx_or_409: result.filter((r) => ![200, 303, 409].includes(r.status)).length,
    })
  })
})
