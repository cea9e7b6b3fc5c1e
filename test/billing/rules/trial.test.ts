import { describe, expect, it } from 'vitest'
import { checkCanRespond } from '../../../src/billing/rules/can-respond'
import { startTrial } from '../../../src/billing/rules/trial'
import { Conflict } from '../../../src/errors'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'

const days = (n: number) => new Date(Date.now() + n * 86_400_000)

// Spec 7.3, trial part. The catalog seeds trial_plan_slug = "trial" and trial_duration_days = 14.
describe('trial', () => {
  it('refuses a second trial (CONFLICT)', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    await startTrial(db, customer.id)
    await expect(startTrial(db, customer.id)).rejects.toBeInstanceOf(Conflict)
  })

  it('denies an expired trial, naming the trial', async () => {
    const { db } = testDb()
    const f = factories(db)
    const plan = await f.plan({ limits: { messages: 50 } })
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    await f.subscription({ customerId: customer.id, planId: plan.id, status: 'trialing', trialEndsAt: days(-1) })
    const result = await checkCanRespond(db, agent.id)
    expect(result?.allowed).toBe(false)
    expect(result?.reason?.toLowerCase()).toContain('trial')
  })
})
