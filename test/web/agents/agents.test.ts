import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { agentInstances } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { uniq } from '../../support/factories'
import { call, internalHeaders } from '../../support/http'
import { shownApiKey, signedInCustomer } from '../../support/web'

const SCHEMA = {
  steps: [
    {
      id: 'basics',
      fields: [
        { name: 'agent_name', type: 'text', required: true, max_length: 40 },
        { name: 'greeting', type: 'textarea' },
        { name: 'max_replies', type: 'number', min: 1, max: 10 },
      ],
    },
  ],
}

async function validateKey(key: string) {
  const res = await call('/api/internal/agent/validate-key', {
    headers: internalHeaders(undefined, { 'X-API-Key': key }),
  })
  return ((await res.json()) as { valid: boolean }).valid
}

async function setup() {
  const { db } = testDb()
  const ctx = await signedInCustomer(db)
  const type = await ctx.f.agentType({ name: 'Helper Type', slug: `helper-${uniq()}`, onboardingSchema: SCHEMA })
  const agent = await ctx.f.agentInstance({
    customerId: ctx.customer.id,
    agentTypeId: type.id,
    name: 'Desk',
    configuration: { agent_name: 'Desk', greeting: 'Hi there', max_replies: 3 },
  })
  const reload = async () => (await db.query.agentInstances.findFirst({ where: eq(agentInstances.id, agent.id) }))!
  return { db, ...ctx, type, agent, reload }
}

/** The agent as the grace-period job leaves it when the customer's grace runs out. */
async function switchedOffByBilling() {
  const ctx = await setup()
  await ctx.db
    .update(agentInstances)
    .set({ isActive: false, disabledReason: 'grace_expired' })
    .where(eq(agentInstances.id, ctx.agent.id))
  return ctx
}

describe('agent page', () => {
  it('shows status, key prefix (never the key or its hash), type and editable configuration', async () => {
    const { web, agent } = await setup()
    const { res, html } = await web.page(`/agents/${agent.id}`)
    expect(res.status).toBe(200)
    expect(html).toContain('Desk')
    expect(html).toContain('Helper Type')
    expect(html).toContain(agent.apiKeyPrefix)
    expect(html).not.toContain(agent.apiKey!)
    expect(html).not.toContain(agent.apiKeyHash)
    expect(html).toContain('Hi there')
    expect(html).toContain('name="max_replies"')
    expect(html).toContain('Active')
  })

  it('switches an agent off by hand and on again, saying so on the page', async () => {
    const { web, agent, reload } = await setup()
    await web.page(`/agents/${agent.id}`)
    const off = await web.post(`/agents/${agent.id}/deactivate`)
    expect(off.status).toBe(303)
    const offPage = await web.follow(off)
    expect(offPage.html).toContain('deactivated')
    expect(await reload()).toMatchObject({ isActive: false, disabledReason: 'manual' })

    const on = await web.post(`/agents/${agent.id}/activate`)
    expect(on.status).toBe(303)
    expect(await reload()).toMatchObject({ isActive: true, disabledReason: null })
  })

  it('does not let a customer switch back on an agent that billing switched off', async () => {
    const { web, agent, reload } = await switchedOffByBilling()
    const page = await web.page(`/agents/${agent.id}`)
    expect(page.html).toContain('comes back on by itself')
    expect(page.html).not.toContain(`action="/agents/${agent.id}/activate"`)

    const res = await web.post(`/agents/${agent.id}/activate`)
    expect(res.status).toBe(409)
    const html = await res.text()
    expect(html).toContain('Billing switched this agent off')
    expect(html).toContain('href="/billing"')
    expect(await reload()).toMatchObject({ isActive: false, disabledReason: 'grace_expired' })
  })

  it('cannot undo a billing switch-off by deactivating and activating again', async () => {
    const { web, agent, reload } = await switchedOffByBilling()
    expect((await web.post(`/agents/${agent.id}/deactivate`)).status).toBe(303)
    expect(await reload()).toMatchObject({ isActive: false, disabledReason: 'grace_expired' })
    expect((await web.post(`/agents/${agent.id}/activate`)).status).toBe(409)
    expect(await reload()).toMatchObject({ isActive: false, disabledReason: 'grace_expired' })
  })

  it('rotates the API key: the new key is shown once and works, the old one stops at once', async () => {
    const { web, agent, reload } = await setup()
    expect(await validateKey(agent.apiKey!)).toBe(true)
    await web.page(`/agents/${agent.id}`)
    const res = await web.post(`/agents/${agent.id}/rotate-key`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const html = await res.text()
    const newKey = shownApiKey(html)
    expect(newKey).toMatch(/^efk_/)
    expect(newKey).not.toBe(agent.apiKey)
    expect(await validateKey(agent.apiKey!)).toBe(false)
    expect(await validateKey(newKey!)).toBe(true)
    expect((await reload()).apiKeyPrefix).toBe(newKey!.split('_').slice(0, 2).join('_'))
    const later = await web.page(`/agents/${agent.id}`)
    expect(later.html).not.toContain(newKey!)
  })

  it('edits the configuration with the type schema’s rules; errors keep the typed values', async () => {
    const { web, agent, reload } = await setup()
    await web.page(`/agents/${agent.id}`)
    const bad = await web.post(`/agents/${agent.id}/configuration`, { agent_name: 'Desk 2', max_replies: '99' })
    expect(bad.status).toBe(422)
    const html = await bad.text()
    expect(html).toContain('at most 10')
    expect(html).toContain('value="Desk 2"')
    expect((await reload()).configuration.max_replies).toBe(3)

    const ok = await web.post(`/agents/${agent.id}/configuration`, {
      agent_name: 'Desk 2',
      max_replies: '4',
      greeting: '',
    })
    expect(ok.status).toBe(303)
    const saved = await reload()
    expect(saved.name).toBe('Desk 2')
    expect(saved.configuration).toEqual({ agent_name: 'Desk 2', max_replies: 4 })
  })

  it('saves embed domains (normalised) into the config the runtime reads', async () => {
    const { web, agent, reload } = await setup()
    await web.page(`/agents/${agent.id}`)
    const ok = await web.post(`/agents/${agent.id}/domains`, {
      embed_domains: 'https://Example.com/path\n*.acme.test, shop.acme.test:8443',
    })
    expect(ok.status).toBe(303)
    expect((await reload()).configuration.embed_domains).toEqual(['example.com', '*.acme.test', 'shop.acme.test'])
    const config = await call(`/api/internal/agent/${agent.id}/config`, { headers: internalHeaders(agent.id) })
    expect(((await config.json()) as { embed_domains: string[] }).embed_domains).toEqual([
      'example.com',
      '*.acme.test',
      'shop.acme.test',
    ])

    const bad = await web.post(`/agents/${agent.id}/domains`, { embed_domains: 'not a domain!' })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toContain('is not a domain name')
  })
})

describe('dashboard', () => {
  it('lists the customer’s agents with status, key prefix and this period’s usage against the plan', async () => {
    const { db, f, web, customer, agent } = await setup()
    await db.update(agentInstances).set({ isActive: false }).where(eq(agentInstances.id, agent.id))
    await f.usageRecord({
      customerId: customer.id,
      agentInstanceId: agent.id,
      messages: 321,
      inputTokens: 1000,
      outputTokens: 234,
    })
    await f.knowledgeBase({ customerId: customer.id, name: 'Product manual' })
    const other = await f.agentInstance({ name: 'Someone else’s agent' })
    const { res, html } = await web.page('/dashboard')
    expect(res.status).toBe(200)
    expect(html).toContain('Desk')
    expect(html).toContain(agent.apiKeyPrefix)
    expect(html).toContain('Inactive')
    expect(html).toContain('<strong>321</strong>')
    expect(html).toContain('<strong>1,234</strong>')
    expect(html).toContain('of 1,000')
    expect(html).toContain('Product manual')
    expect(html).not.toContain(other.name)
    expect(html).not.toContain(other.apiKeyPrefix)
  })

  it('shows the trial and grace-period banners, and a no-plan warning', async () => {
    const { db } = testDb()
    const ctx = await signedInCustomer(db)
    const { subscriptions, customers } = await import('../../../src/db/schema')
    await db
      .update(subscriptions)
      .set({ status: 'trialing', trialEndsAt: new Date(Date.now() + 3 * 86_400_000) })
      .where(eq(subscriptions.customerId, ctx.customer.id))
    await db
      .update(customers)
      .set({ gracePeriodEndsAt: new Date(Date.now() + 86_400_000) })
      .where(eq(customers.id, ctx.customer.id))
    const trial = await ctx.web.page('/dashboard')
    expect(trial.html).toContain('Free trial')
    expect(trial.html).toContain('3 days left')
    expect(trial.html).toContain('Grace period')

    await db.update(subscriptions).set({ status: 'canceled' }).where(eq(subscriptions.customerId, ctx.customer.id))
    const lapsed = await ctx.web.page('/dashboard')
    expect(lapsed.html).toContain('no active plan')
  })

  it('answers with a bounded number of statements', async () => {
    const { web } = await setup()
    const { statementsOf } = await import('../../support/http')
    const res = await web.get('/dashboard')
    expect(res.status).toBe(200)
    expect(statementsOf(res)).toBeLessThanOrEqual(5)
  })
})
