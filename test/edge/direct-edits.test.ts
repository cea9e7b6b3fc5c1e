// A change nobody announced (an UPDATE in psql, a notification that was lost) reaches the hot path
// through the version triggers (migrations/0011_edge_state_versions.sql): the customer's object asks
// Postgres for the version every few seconds while it has traffic, so all three calls reflect such a
// change within 10 s, with the production timings. Runs on PGlite and on the real PostgreSQL.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../src/db/schema'
import { captureIsolateMemory } from '../../src/edge/hot-path'
import { billedAgent } from '../support/billing'
import { testDb } from '../support/db'
import { edgeRuntime, hotCalls, timeUntil } from '../support/edge'
import { reportFigures } from '../support/races'

const BOUND_MS = 10_000

async function warmAgent() {
  const { db } = testDb()
  const billed = await billedAgent(db, { limits: { messages: 1000 } })
  const edge = hotCalls(edgeRuntime('edge-direct'))
  const key = billed.agent.apiKey as string
  for (let i = 0; i < 3; i++) {
    await edge.canRespond(billed.agent.id)
    await edge.config(billed.agent.id)
    await edge.validateKey(key)
  }
  expect((await edge.canRespond(billed.agent.id)).source).toBe('l1')
  return { db, edge, key, ...billed }
}

describe('a change made directly in the database', () => {
  it('reaches all three calls within 10 s', async () => {
    const { db, edge, key, agent, customer } = await warmAgent()
    const restore = captureIsolateMemory()
    const since = Date.now()
    await db.update(s.customers).set({ isActive: false }).where(eq(s.customers.id, customer.id))
    restore() // nothing in this isolate was told either
    const delays = await Promise.all([
      timeUntil(
        () => edge.canRespond(agent.id),
        (a) => a.body.reason_code === 'customer_suspended',
        BOUND_MS,
        since,
      ),
      timeUntil(
        () => edge.config(agent.id),
        (a) => a.status === 403,
        BOUND_MS,
        since,
      ),
      timeUntil(
        () => edge.validateKey(key),
        (a) => a.body.valid === false,
        BOUND_MS,
        since,
      ),
    ])
    reportFigures('direct edit reached the edge (ms)', {
      can_respond: delays[0],
      config: delays[1],
      validate_key: delays[2],
    })
  })

  it('reaches them within 10 s also when the edit is to usage, a plan or an agent type', async () => {
    const { db, edge, agent, plan, f, customer } = await warmAgent()
    const restore = captureIsolateMemory()
    const since = Date.now()
    await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 400 })
    await db
      .update(s.plans)
      .set({ limits: { messages: 2000 } })
      .where(eq(s.plans.id, plan.id))
    await db
      .update(s.agentTypes)
      .set({ systemPromptTemplate: 'Edited by hand for {agent_name}.' })
      .where(eq(s.agentTypes.id, agent.agentTypeId))
    restore()
    await timeUntil(
      () => edge.canRespond(agent.id),
      (a) => (a.body.usage_remaining as { messages?: number }).messages === 1600,
      BOUND_MS,
      since,
    )
    await timeUntil(
      () => edge.config(agent.id),
      (a) => String(a.body.system_prompt).startsWith('Edited by hand for'),
      BOUND_MS,
      since,
    )
  })
})
