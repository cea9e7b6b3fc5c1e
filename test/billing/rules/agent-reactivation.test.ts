// What billing switched off, billing switches back on: one rule (reactivateAgentsIfBillingAllows),
// reached from every path that changes billing. Agents the customer switched off stay off.
import { createScheduledController } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { checkCanRespond } from '../../../src/billing/rules/can-respond'
import { addPrepaidCredit } from '../../../src/billing/rules/prepaid-credit'
import * as s from '../../../src/db/schema'
import worker from '../../../src/index'
import { GRACE_EXPIRY_CRON } from '../../../src/jobs/scheduled'
import { canRespond } from '../../support/billing'
import { testDb } from '../../support/db'
import { env } from '../../support/env'
import type { FactoryOverrides } from '../../support/factories'
import { createExecutionContext, waitOnExecutionContext } from '../../support/http'
import { meteredCustomer } from '../../support/metered-customer'
import { deliver, stripeEvent, stripeSubscription, topUpEvent } from '../../support/stripe'

const DAY = 86_400_000
const days = (n: number) => new Date(Date.now() + n * DAY)
const topUp = () => ({ kind: 'top_up' as const, stripeCheckoutSessionId: `cs_test_${crypto.randomUUID()}` })

/** Over its 100-message limit, grace over, no balance: billing switched one agent off, the customer another. */
async function lapsedCustomer(subscription: FactoryOverrides<'subscription'> = {}) {
  const { db } = testDb()
  const {
    f,
    customer,
    subscription: sub,
    agent: billingOff,
    switchedOff: customerOff,
  } = await meteredCustomer(db, {
    messagesUsed: 150,
    subscription,
    agent: { isActive: false, disabledReason: 'grace_expired' },
  })
  const agentsOff = async () => {
    const rows = await db.query.agentInstances.findMany({ where: eq(s.agentInstances.customerId, customer.id) })
    return {
      billing: rows.find((a) => a.id === billingOff.id),
      customer: rows.find((a) => a.id === customerOff.id),
    }
  }
  return { db, f, customer, sub, billingOff, customerOff, agentsOff }
}

describe('the re-enable rule after a billing change', () => {
  it('a paid top-up switches billing-disabled agents back on, for a trial customer too', async () => {
    const { db, customer, billingOff, agentsOff } = await lapsedCustomer({
      status: 'trialing',
      stripeSubscriptionId: null,
      trialEndsAt: days(7),
    })
    expect(await checkCanRespond(db, billingOff.id)).toMatchObject({ allowed: false, reason_code: 'over_limit' })
    const res = await deliver(topUpEvent(customer, 2000))
    expect(res.status).toBe(200)
    const agents = await agentsOff()
    expect(agents.billing).toMatchObject({ isActive: true, disabledReason: null })
    expect(agents.customer).toMatchObject({ isActive: false, disabledReason: 'manual' })
    expect((await canRespond(billingOff.id)).body).toMatchObject({ allowed: true, reason_code: 'over_limit_balance' })
  })

  it('a top-up that does not make can-respond allow (the trial ended) leaves them off', async () => {
    const { customer, agentsOff } = await lapsedCustomer({
      status: 'trialing',
      stripeSubscriptionId: null,
      trialEndsAt: days(-1),
    })
    await deliver(topUpEvent(customer, 2000))
    expect((await agentsOff()).billing).toMatchObject({ isActive: false, disabledReason: 'grace_expired' })
  })

  it.each([
    ['to a plan with room switches them back on', 1000, { isActive: true, disabledReason: null }],
    ['to a plan that is still too small leaves them off', 50, { isActive: false, disabledReason: 'grace_expired' }],
  ])('a plan change (customer.subscription.updated) %s', async (_, messages, billingAgentAfter) => {
    const { f, customer, sub, agentsOff } = await lapsedCustomer()
    const newPlan = await f.plan({ limits: { messages } })
    const changed = stripeSubscription({
      id: sub.stripeSubscriptionId as string,
      customer: customer.stripeCustomerId as string,
      priceId: newPlan.stripePriceId as string,
      periodStart: Math.floor(sub.currentPeriodStart.getTime() / 1000),
      periodEnd: Math.floor(sub.currentPeriodEnd.getTime() / 1000),
    })
    expect((await deliver(stripeEvent('customer.subscription.updated', changed))).status).toBe(200)
    const agents = await agentsOff()
    expect(agents.billing).toMatchObject(billingAgentAfter)
    expect(agents.customer).toMatchObject({ isActive: false, disabledReason: 'manual' })
  })

  it('an operator credit goes through the same rule', async () => {
    const { db, customer, agentsOff } = await lapsedCustomer()
    const switchedOn = await db.transaction((tx) => addPrepaidCredit(tx, customer.id, 1250, topUp()))
    const agents = await agentsOff()
    expect(switchedOn).toEqual([agents.billing?.id])
    expect(agents.billing).toMatchObject({ isActive: true, disabledReason: null })
    expect(agents.customer).toMatchObject({ isActive: false, disabledReason: 'manual' })
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance?.balanceCents).toBe(1250)
  })

  it('refuses a credit that is not a positive whole number of cents', async () => {
    const { db, customer } = await lapsedCustomer()
    for (const cents of [0, -5, 1.5, Number.NaN]) {
      await expect(db.transaction((tx) => addPrepaidCredit(tx, customer.id, cents, topUp()))).rejects.toThrow(
        RangeError,
      )
    }
  })
})

describe('grace expiry decides under the customer lock', () => {
  // Rows in December 2000, the job "at" 2001-01-01, as in cron.test.ts: other files' rows are never due.
  const PERIOD = {
    currentPeriodStart: new Date('2000-12-01T00:00:00Z'),
    currentPeriodEnd: new Date('2001-01-31T00:00:00Z'),
  }
  const SCHEDULED = new Date('2001-01-01T00:15:00Z')

  it('a top-up committed while the job waits for the lock keeps the agents on', async () => {
    const { db, customer, billingOff } = await lapsedCustomer(PERIOD)
    await db
      .update(s.agentInstances)
      .set({ isActive: true, disabledReason: null })
      .where(eq(s.agentInstances.id, billingOff.id))
    await db
      .update(s.customers)
      .set({ gracePeriodEndsAt: new Date('2000-12-31T23:00:00Z') })
      .where(eq(s.customers.id, customer.id))

    const ctx = createExecutionContext()
    let job: Promise<void> | undefined
    await db.transaction(async (tx) => {
      await tx.execute(`SELECT id FROM customers WHERE id = '${customer.id}' FOR UPDATE`)
      job = worker.scheduled(createScheduledController({ cron: GRACE_EXPIRY_CRON, scheduledTime: SCHEDULED }), env, ctx)
      // On a real PostgreSQL the job is now blocked on the customer's row lock (PGlite serialises it anyway).
      await new Promise((resolve) => setTimeout(resolve, 300))
      await addPrepaidCredit(tx, customer.id, 500, topUp())
    })
    await job
    await waitOnExecutionContext(ctx)
    const agent = await db.query.agentInstances.findFirst({ where: eq(s.agentInstances.id, billingOff.id) })
    expect(agent).toMatchObject({ isActive: true, disabledReason: null })
    const row = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    expect(row?.gracePeriodEndsAt).toBeNull()
  })
})
