import { createScheduledController } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { checkCanRespond } from '../../src/billing/rules/can-respond'
import * as s from '../../src/db/schema'
import worker from '../../src/index'
import { GRACE_EXPIRY_CRON, TRIAL_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { testDb } from '../support/db'
import { env } from '../support/env'
import { factories } from '../support/factories'
import { createExecutionContext, waitOnExecutionContext } from '../support/http'
import { meteredCustomer } from '../support/metered-customer'

// Jobs act on every row that is due. These tests place their rows in December 2000 and run the
// jobs "at" a time in January 2001, so rows of concurrently running test files (due around now) are never due.
const at = (iso: string) => new Date(iso)
const SCHEDULED = at('2001-01-01T00:15:00Z')
const PERIOD = { currentPeriodStart: at('2000-12-01T00:00:00Z'), currentPeriodEnd: at('2001-01-31T00:00:00Z') }

async function runCron(cron: string, scheduledTime = SCHEDULED) {
  const controller = createScheduledController({ cron, scheduledTime })
  const ctx = createExecutionContext()
  await worker.scheduled(controller, env, ctx)
  await waitOnExecutionContext(ctx)
}

async function customerInGrace(o: { graceEndsAt: Date; messagesUsed: number; status?: s.SubscriptionStatus }) {
  const { db } = testDb()
  const { f, customer, agent, switchedOff } = await meteredCustomer(db, {
    messagesUsed: o.messagesUsed,
    customer: { gracePeriodEndsAt: o.graceEndsAt },
    subscription: { status: o.status ?? 'active', ...PERIOD },
  })
  const state = async () => ({
    customer: await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) }),
    agents: await db.query.agentInstances.findMany({
      where: eq(s.agentInstances.customerId, customer.id),
      orderBy: s.agentInstances.createdAt,
    }),
    notifications: await db.query.notifications.findMany({ where: eq(s.notifications.customerId, customer.id) }),
  })
  return { db, f, customer, agent, switchedOff, state }
}

describe('grace expiry (cron */15)', () => {
  it('disables the agents of a customer still over the limit, notifies once, clears grace; a re-run changes nothing', async () => {
    const graceEndsAt = at('2000-12-31T23:00:00Z')
    const { db, agent, switchedOff, customer, state } = await customerInGrace({ graceEndsAt, messagesUsed: 150 })

    await runCron(GRACE_EXPIRY_CRON)
    const first = await state()
    expect(first.customer?.gracePeriodEndsAt).toBeNull()
    expect(first.agents.find((a) => a.id === agent.id)).toMatchObject({
      isActive: false,
      disabledReason: 'grace_expired',
    })
    expect(first.agents.find((a) => a.id === switchedOff.id)).toMatchObject({
      isActive: false,
      disabledReason: 'manual',
    })
    expect(first.notifications).toHaveLength(1)
    expect(first.notifications[0]).toMatchObject({
      kind: 'grace_expired',
      recipient: customer.email,
      status: 'sent',
      dedupeKey: `grace_expired:${customer.id}:${graceEndsAt.toISOString()}`,
    })
    expect(first.notifications[0]?.sentAt).toBeInstanceOf(Date)
    expect((await checkCanRespond(db, agent.id))?.allowed).toBe(false)

    await runCron(GRACE_EXPIRY_CRON)
    expect(await state()).toEqual(first)
  })

  it('spec 7.3: an expired grace period disables the agents and sends the email', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer({ gracePeriodEndsAt: at('2000-12-31T23:14:00Z') })
    const agent = await f.agentInstance({ customerId: customer.id, isActive: true })
    await runCron(GRACE_EXPIRY_CRON)
    const after = await db.query.agentInstances.findFirst({ where: eq(s.agentInstances.id, agent.id) })
    expect(after).toMatchObject({ isActive: false, disabledReason: 'grace_expired' })
    const sent = await db.query.notifications.findMany({ where: eq(s.notifications.customerId, customer.id) })
    expect(sent.map((n) => [n.kind, n.recipient, n.status])).toEqual([['grace_expired', customer.email, 'sent']])
  })

  it('disables a customer whose subscription is unpaid even under the limit', async () => {
    const { agent, state } = await customerInGrace({
      graceEndsAt: at('2000-12-31T22:00:00Z'),
      messagesUsed: 5,
      status: 'past_due',
    })
    await runCron(GRACE_EXPIRY_CRON)
    const after = await state()
    expect(after.agents.find((a) => a.id === agent.id)?.disabledReason).toBe('grace_expired')
    expect(after.notifications).toHaveLength(1)
  })

  it('only clears the grace of a customer back within limits and paid', async () => {
    const { agent, state } = await customerInGrace({ graceEndsAt: at('2000-12-31T21:00:00Z'), messagesUsed: 10 })
    await runCron(GRACE_EXPIRY_CRON)
    const after = await state()
    expect(after.customer?.gracePeriodEndsAt).toBeNull()
    expect(after.agents.find((a) => a.id === agent.id)).toMatchObject({ isActive: true, disabledReason: null })
    expect(after.notifications).toHaveLength(0)
  })

  it('keeps agents on for a customer over the limit with prepaid balance left', async () => {
    const { f, customer, agent, state } = await customerInGrace({
      graceEndsAt: at('2000-12-31T20:00:00Z'),
      messagesUsed: 500,
    })
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 300 })
    await runCron(GRACE_EXPIRY_CRON)
    expect((await state()).agents.find((a) => a.id === agent.id)?.isActive).toBe(true)
  })

  it('leaves a grace period that is still running', async () => {
    const graceEndsAt = at('2001-01-01T06:00:00Z')
    const { agent, state } = await customerInGrace({ graceEndsAt, messagesUsed: 150 })
    await runCron(GRACE_EXPIRY_CRON)
    const after = await state()
    expect(after.customer?.gracePeriodEndsAt).toEqual(graceEndsAt)
    expect(after.agents.find((a) => a.id === agent.id)?.isActive).toBe(true)
  })
})

describe('trial expiry (cron 0 *)', () => {
  async function trial(o: { trialEndsAt: Date; stripeSubscriptionId?: string | null }) {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const plan = await f.plan({ slug: `trial-${crypto.randomUUID().slice(0, 8)}` })
    const subscription = await f.subscription({
      customerId: customer.id,
      planId: plan.id,
      status: 'trialing',
      trialEndsAt: o.trialEndsAt,
      stripeSubscriptionId: o.stripeSubscriptionId ?? null,
      ...PERIOD,
    })
    const state = async () => ({
      subscription: await db.query.subscriptions.findFirst({ where: eq(s.subscriptions.id, subscription.id) }),
      notifications: await db.query.notifications.findMany({ where: eq(s.notifications.customerId, customer.id) }),
    })
    return { customer, subscription, state }
  }

  it('expires an ended trial and notifies once; a re-run for the same time changes nothing', async () => {
    const { customer, subscription, state } = await trial({ trialEndsAt: at('2000-12-31T12:00:00Z') })
    await runCron(TRIAL_EXPIRY_CRON, at('2001-01-01T00:00:00Z'))
    const first = await state()
    expect(first.subscription?.status).toBe('expired')
    expect(first.notifications).toEqual([
      expect.objectContaining({
        kind: 'trial_expired',
        recipient: customer.email,
        status: 'sent',
        dedupeKey: `trial_expired:${subscription.id}:2000-12-31T12:00:00.000Z`,
      }),
    ])
    await runCron(TRIAL_EXPIRY_CRON, at('2001-01-01T00:00:00Z'))
    expect(await state()).toEqual(first)
  })

  it('leaves running trials and trials Stripe runs alone', async () => {
    const running = await trial({ trialEndsAt: at('2001-01-02T00:00:00Z') })
    const inStripe = await trial({
      trialEndsAt: at('2000-12-30T00:00:00Z'),
      stripeSubscriptionId: `sub_${crypto.randomUUID()}`,
    })
    await runCron(TRIAL_EXPIRY_CRON, at('2001-01-01T00:00:00Z'))
    expect((await running.state()).subscription?.status).toBe('trialing')
    expect((await inStripe.state()).subscription?.status).toBe('trialing')
    expect((await inStripe.state()).notifications).toHaveLength(0)
  })
})

describe('scheduled dispatch', () => {
  it('does nothing for a cron expression it does not know', async () => {
    await expect(runCron('5 4 * * sun')).resolves.toBeUndefined()
  })
})

describe('housekeeping (hourly, with trial expiry)', () => {
  it('drops sessions past their timeouts and old login attempts, and keeps the rest', async () => {
    const { db } = testDb()
    const user = await factories(db).customerUser()
    const session = (id: string, lastSeenAt: Date, expiresAt: Date) => ({
      id,
      userId: user.id,
      customerId: user.customerId,
      csrfToken: 'csrf',
      lastSeenAt,
      expiresAt,
    })
    const stale = `stale-${crypto.randomUUID()}`
    const expired = `expired-${crypto.randomUUID()}`
    const fresh = `fresh-${crypto.randomUUID()}`
    await db
      .insert(s.customerSessions)
      .values([
        session(stale, at('2000-12-01T00:00:00Z'), at('2001-02-01T00:00:00Z')),
        session(expired, at('2000-12-31T23:59:00Z'), at('2001-01-01T00:00:00Z')),
        session(fresh, at('2001-01-01T00:10:00Z'), at('2001-01-07T00:00:00Z')),
      ])
    const email = `old-${crypto.randomUUID()}@example.com`
    await db
      .insert(s.loginAttempts)
      .values({ email, clientAddress: '203.0.113.9', succeeded: false, attemptedAt: at('2000-12-30T00:00:00Z') })

    await runCron(TRIAL_EXPIRY_CRON)

    const left = await db.query.customerSessions.findMany({ where: (t, { eq }) => eq(t.userId, user.id) })
    expect(left.map((r) => r.id)).toEqual([fresh])
    expect(await db.query.loginAttempts.findMany({ where: (t, { eq }) => eq(t.email, email) })).toEqual([])
  })
})
