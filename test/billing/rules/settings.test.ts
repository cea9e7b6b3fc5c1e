// The billing rules read their numbers from `billing_settings` (catalog defaults: trial plan "trial",
// 14-day trial, 24-hour grace, 35-day late-report window). Settings are global rows, so every test that
// depends on their exact values lives in this file (tests in a file run one after another), and the
// varied values stay ones that other files' tests tolerate (positive lengths, a longer late window).
import { eq, sql } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { usageBatchResultSchema } from '../../../src/api/internal/routes/usage-batch'
import { checkCanRespond } from '../../../src/billing/rules/can-respond'
import { enterGracePeriod } from '../../../src/billing/rules/grace-period'
import { getBillingSettings } from '../../../src/billing/rules/settings'
import { startTrial } from '../../../src/billing/rules/trial'
import * as s from '../../../src/db/schema'
import { billedAgent, canRespond, days, hours, postBatch, report } from '../../support/billing'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'
import { bodyOf } from '../../support/http'

type Db = ReturnType<typeof testDb>['db']

const changed: Array<{ key: string; value: unknown }> = []

/** Sets billing settings until the end of the test (the previous values come back after it). */
async function setBillingSettings(db: Db, values: Record<string, unknown>) {
  for (const [key, value] of Object.entries(values)) {
    const [previous] = await db.select().from(s.billingSettings).where(eq(s.billingSettings.key, key))
    changed.push({ key, value: previous?.value })
    await db
      .insert(s.billingSettings)
      .values({ key, value })
      .onConflictDoUpdate({ target: s.billingSettings.key, set: { value: sql`excluded.value` } })
  }
}

afterEach(async () => {
  const { db } = testDb()
  for (const { key, value } of changed.splice(0).reverse()) {
    if (value === undefined) await db.delete(s.billingSettings).where(eq(s.billingSettings.key, key))
    else await db.update(s.billingSettings).set({ value }).where(eq(s.billingSettings.key, key))
  }
})

const within = (actual: Date | null | undefined, expected: Date, ms = 60_000) =>
  expect(Math.abs((actual?.getTime() ?? 0) - expected.getTime())).toBeLessThan(ms)

/**
 * One report per age (days before now) for an agent whose subscription period began 70 days ago,
 * so only the late-report window can refuse one; returns the batch's answer.
 */
async function reportsDaysOld(db: Db, ages: number[]) {
  const { agent } = await billedAgent(db, {
    subscription: { currentPeriodStart: days(-70), currentPeriodEnd: days(20) },
  })
  const reports = ages.map((age) => report(agent.id, { messages: 1 }, { timestamp: days(-age).toISOString() }))
  const res = await postBatch(reports)
  expect(res.status).toBe(200)
  return bodyOf(res, usageBatchResultSchema)
}

describe('catalog defaults (spec 7.3)', () => {
  it('startTrial: a trialing subscription on the "trial" plan for 14 days; the trial is the period', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const agent = await factories(db).agentInstance({ customerId: customer.id })
    const trialPlan = await db.query.plans.findFirst({ where: eq(s.plans.slug, 'trial') })
    const created = await startTrial(db, customer.id)
    expect(created).toMatchObject({ status: 'trialing', planId: trialPlan?.id })
    within(created.trialEndsAt, days(14))
    expect(created.currentPeriodEnd.toISOString()).toBe(created.trialEndsAt?.toISOString())
    expect(await checkCanRespond(db, agent.id)).toMatchObject({ allowed: true, plan: 'trial' })
  })

  it('a trial started at a moment ends at that moment plus the trial length', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    const subscription = await startTrial(db, customer.id, new Date('2025-01-15T12:00:00Z'))
    expect(subscription.trialEndsAt?.toISOString()).toBe('2025-01-29T12:00:00.000Z')
    expect((await checkCanRespond(db, agent.id, new Date('2025-01-28T12:00:00Z')))?.allowed).toBe(true)
    const later = await checkCanRespond(db, agent.id, new Date('2025-01-30T12:00:00Z'))
    expect(later).toMatchObject({ allowed: false, reason_code: 'trial_ended' })
  })

  it('enterGracePeriod: 24 hours from now; a running one is kept, an ended one restarts', async () => {
    const { db } = testDb()
    const f = factories(db)
    expect((await getBillingSettings(db)).grace_period_hours).toBe(24)
    const customer = await f.customer()
    within(await enterGracePeriod(db, customer.id), hours(24))
    const running = await f.customer({ gracePeriodEndsAt: hours(2) })
    expect((await enterGracePeriod(db, running.id))?.toISOString()).toBe(running.gracePeriodEndsAt?.toISOString())
    const ended = await f.customer({ gracePeriodEndsAt: hours(-2) })
    within(await enterGracePeriod(db, ended.id), hours(24))
  })

  it('a usage batch that crosses a limit starts a 24-hour grace period', async () => {
    const { db } = testDb()
    const { agent, customer } = await billedAgent(db, { limits: { messages: 3 } })
    await postBatch([report(agent.id), report(agent.id)])
    expect(
      (await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) }))?.gracePeriodEndsAt,
    ).toBeNull()
    await postBatch([report(agent.id), report(agent.id)])
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    within(after?.gracePeriodEndsAt, hours(24))
    expect((await canRespond(agent.id)).body).toMatchObject({ allowed: true, in_grace_period: true })
  })

  it('refuses a report older than 35 days', async () => {
    const body = await reportsDaysOld(testDb().db, [36, 34])
    expect(body.errors.map((e) => [e.index, e.reason])).toEqual([[0, 'too_old']])
  })
})

describe('varied settings', () => {
  it('trial_plan_slug and trial_duration_days decide the trial', async () => {
    const { db } = testDb()
    const f = factories(db)
    const plan = await f.plan({ stripePriceId: null, limits: { messages: 7 } })
    await setBillingSettings(db, { trial_plan_slug: plan.slug, trial_duration_days: 3 })
    const customer = await f.customer()
    const agent = await f.agentInstance({ customerId: customer.id })
    const trial = await startTrial(db, customer.id)
    expect(trial.planId).toBe(plan.id)
    within(trial.trialEndsAt, days(3))
    expect(await checkCanRespond(db, agent.id)).toMatchObject({ plan: plan.slug, limits: { messages: 7 } })
  })

  it('grace_period_hours decides the grace a crossing batch starts', async () => {
    const { db } = testDb()
    await setBillingSettings(db, { grace_period_hours: 6 })
    const { agent, customer } = await billedAgent(db, { limits: { messages: 2 } })
    await postBatch([report(agent.id, { messages: 2 })])
    const after = await db.query.customers.findFirst({ where: eq(s.customers.id, customer.id) })
    within(after?.gracePeriodEndsAt, hours(6))
  })

  it('overage prices come from the settings', async () => {
    const { db } = testDb()
    await setBillingSettings(db, { overage_cents_per_message: 3 })
    const { f, agent, customer } = await billedAgent(db, { limits: { messages: 10 } })
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 1000 })
    await postBatch([report(agent.id, { messages: 14 })])
    const balance = await db.query.extraUsageBalances.findFirst({
      where: eq(s.extraUsageBalances.customerId, customer.id),
    })
    expect(balance?.balanceCents).toBe(1000 - 4 * 3)
  })

  it('late_usage_window_days decides how late a report may arrive', async () => {
    const { db } = testDb()
    await setBillingSettings(db, { late_usage_window_days: 60 })
    const body = await reportsDaysOld(db, [45, 61])
    expect(body.accepted).toBe(1)
    expect(body.errors.map((e) => [e.index, e.reason])).toEqual([[1, 'too_old']])
  })
})
