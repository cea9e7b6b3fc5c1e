import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../../src/db/schema'
import type { testDb } from '../../support/db'
import { type FactoryOverrides, uniq } from '../../support/factories'
import { signedInAccount } from '../../support/web'
import { WebClient } from '../../support/web-client'

async function operatorAction(db: ReturnType<typeof testDb>['db'], customerId: string) {
  const [row] = await db
    .insert(s.operatorActions)
    .values({ operator: 'support', action: 'credit', customerId, target: 'x', reason: 'goodwill' })
    .returning({ id: s.operatorActions.id })
  return row?.id as string
}

interface Period {
  start: string
  end: string
}

/**
 * A signed-in customer subscribed to a plan of its own for `period`, with an agent whose usage
 * `recordUsage` stores (for the subscription's period unless another is given).
 */
async function subscribedAccount(planOverrides: FactoryOverrides<'plan'>, period: Period) {
  const account = await signedInAccount()
  const { f, customer } = account
  const plan = await f.plan(planOverrides)
  await f.subscription({
    customerId: customer.id,
    planId: plan.id,
    currentPeriodStart: new Date(period.start),
    currentPeriodEnd: new Date(period.end),
  })
  const agent = await f.agentInstance({ customerId: customer.id })
  const recordUsage = (messages: number, recorded: Period = period) =>
    f.usageRecord({
      customerId: customer.id,
      agentInstanceId: agent.id,
      periodStart: new Date(recorded.start),
      periodEnd: new Date(recorded.end),
      messages,
    })
  return { ...account, plan, recordUsage }
}

describe('GET /billing/', () => {
  it('needs login', async () => {
    const res = await new WebClient().get('/billing/')
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('/login?next=%2Fbilling%2F')
  })

  it('shows plan, status, period, usage against limits, balance and plans to switch to', async () => {
    const { f, customer, web, plan, recordUsage } = await subscribedAccount(
      { name: `Starter${uniq()}`, limits: { messages: 100, tokens: 10000 } },
      { start: '2030-03-01T00:00:00Z', end: '2030-03-31T00:00:00Z' },
    )
    const other = await f.plan({ name: `Scale${uniq()}`, priceCents: 19900 })
    await recordUsage(42)
    await f.extraUsageBalance({ customerId: customer.id, balanceCents: 1234 })

    const { res, html } = await web.page('/billing/')
    expect(res.status).toBe(200)
    expect(html).toContain(plan.name)
    expect(html).toContain('active')
    expect(html).toContain('Period 2030-03-01 to 2030-03-31')
    expect(html).toMatch(/<strong>42<\/strong>\s*<span class="muted"> of 100<\/span>/)
    expect(html).toContain('$12.34')
    expect(html).toContain(`Switch to ${other.name}`)
    expect(html).toContain('$199.00')
    expect(html).toContain('action="/billing/portal/"')
    expect(html).toContain('action="/billing/top-up/"')
    expect(html).not.toMatch(/sk_test|whsec_/)
  })

  it("counts only this period's usage: not the trial's, not a closed period's", async () => {
    const { web, recordUsage } = await subscribedAccount(
      { limits: { messages: 100 } },
      { start: '2030-03-10T00:00:00Z', end: '2030-04-10T00:00:00Z' },
    )
    await recordUsage(30, { start: '2030-03-01T00:00:00Z', end: '2030-03-15T00:00:00Z' }) // the trial, overlapping the paid period
    await recordUsage(50, { start: '2030-02-10T00:00:00Z', end: '2030-03-10T00:00:00Z' }) // the period before
    await recordUsage(7)
    for (const path of ['/billing/', '/dashboard']) {
      const { html } = await web.page(path)
      expect(html).toMatch(/<strong>7<\/strong>\s*<span class="muted"> of 100<\/span>/)
    }
  })

  it('shows the latest balance ledger entries: top-up, overage charge with its period, support credit', async () => {
    const { db, customer, web } = await signedInAccount()
    const empty = await web.page('/billing/')
    expect(empty.html).not.toContain('data-testid="balance-ledger"')
    const action = await operatorAction(db, customer.id)
    await db.insert(s.balanceLedger).values([
      {
        customerId: customer.id,
        kind: 'top_up',
        amountCents: 2500,
        balanceAfterCents: 2500,
        stripeCheckoutSessionId: `cs_${uniq()}`,
        createdAt: new Date('2030-03-02T00:00:00Z'),
      },
      {
        customerId: customer.id,
        kind: 'overage_charge',
        amountCents: -310,
        balanceAfterCents: 2190,
        periodStart: new Date('2030-03-01T00:00:00Z'),
        createdAt: new Date('2030-03-03T00:00:00Z'),
      },
      {
        customerId: customer.id,
        kind: 'operator_credit',
        amountCents: 1250,
        balanceAfterCents: 3440,
        operatorActionId: action,
        createdAt: new Date('2030-03-04T00:00:00Z'),
      },
    ])
    const { html } = await web.page('/billing/')
    const ledger = html.slice(html.indexOf('data-testid="balance-ledger"'))
    const rows = [
      ...ledger.matchAll(/<tr><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g),
    ].map((m) => m.slice(1))
    expect(rows).toEqual([
      ['2030-03-04', 'Credit from support', '+$12.50', '$34.40'],
      ['2030-03-03', 'Overage charge (period from 2030-03-01)', '−$3.10', '$21.90'],
      ['2030-03-02', 'Top-up', '+$25.00', '$25.00'],
    ])
  })

  it('shows the trial banner with its end', async () => {
    const { f, customer, web } = await signedInAccount()
    const trialEndsAt = new Date(Date.now() + 5 * 86_400_000)
    await f.subscription({ customerId: customer.id, status: 'trialing', trialEndsAt, stripeSubscriptionId: null })
    const { html } = await web.page('/billing')
    expect(html).toContain('Free trial')
    expect(html).toContain(trialEndsAt.toISOString().slice(0, 10))
  })

  it('shows the grace banner with its end', async () => {
    const { db, f, customer, web } = await signedInAccount()
    await f.subscription({ customerId: customer.id, status: 'past_due' })
    const graceEnds = new Date(Date.now() + 12 * 3_600_000)
    await db.update(s.customers).set({ gracePeriodEndsAt: graceEnds }).where(eq(s.customers.id, customer.id))
    const { html } = await web.page('/billing/')
    expect(html).toContain('Grace period')
    expect(html).toContain(graceEnds.toISOString().slice(0, 10))
  })

  it('confirms a finished checkout', async () => {
    const { web } = await signedInAccount()
    const { html } = await web.page('/billing/?checkout=success')
    expect(html).toContain('as soon as Stripe confirms the payment')
  })
})

describe('POST /billing/top-up/ with an amount it refuses', () => {
  it('shows the billing page again (422) with the reason at the field and the amount typed', async () => {
    const { web } = await signedInAccount()
    await web.page('/billing/')
    const res = await web.post('/billing/top-up/', { amount: '4' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('<h1>Billing</h1>')
    expect(html).toContain('<p class="error" id="top-up-amount-error">The smallest top-up is $5.</p>')
    expect(html).toMatch(/id="top-up-amount"[^>]*value="4"/)
  })
})
