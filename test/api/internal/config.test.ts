import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { agentConfigSchema } from '../../../src/api/internal/routes/config'
import { agentInstances, agentTypes, customers, subscriptions } from '../../../src/db/schema'
import { type BilledAgentOptions, billedAgent, getJson } from '../../support/billing'
import { testDb } from '../../support/db'
import { call, internalHeaders, statementsOf } from '../../support/http'

const getConfig = (agentId: string, extra: Record<string, string> = {}) =>
  getJson(`/api/internal/agent/${agentId}/config`, internalHeaders(agentId, extra), agentConfigSchema)

/** A new billed agent (see {@link billedAgent}) and its config as the runtime fetches it. */
async function billedAgentConfig(options?: BilledAgentOptions) {
  const { db } = testDb()
  const billed = await billedAgent(db, options)
  return { db, ...billed, ...(await getConfig(billed.agent.id)) }
}

// Spec 4.2, plus ETag/304, prompt rendering and the one-statement budget.
describe('GET /api/internal/agent/{agent_id}/config', () => {
  it('returns the complete configuration in one SQL statement', async () => {
    const { db, agent, customer, res, body } = await billedAgentConfig()
    expect(res.status).toBe(200)
    const type = await db.query.agentTypes.findFirst({ where: eq(agentTypes.id, agent.agentTypeId) })
    expect(body).toMatchObject({ agent_id: agent.id, agent_type: type?.slug, customer_id: customer.id })
    for (const key of ['identity', 'system_prompt', 'billing', 'config_version', 'knowledge_base', 'embed_domains']) {
      expect(body).toHaveProperty(key)
    }
    expect(body.knowledge_base).toBeNull()
    expect(statementsOf(res)).toBe(1)
  })

  it('includes the knowledge base when the agent has one', async () => {
    const { db } = testDb()
    const { f, customer } = await billedAgent(db)
    const kb = await f.knowledgeBase({ customerId: customer.id })
    const agent = await f.agentInstance({ customerId: customer.id, knowledgeBaseId: kb.id })
    const { body } = await getConfig(agent.id)
    expect(body.knowledge_base).toMatchObject({ id: kb.id, enabled: true })
  })

  it('reflects the billing status', async () => {
    const { billing } = (await billedAgentConfig({ limits: { messages: 100 } })).body
    expect(billing.can_respond).toBe(true)
    expect(billing.usage_remaining).toEqual({ messages: 100 })
  })

  it('says can_respond: false without a subscription', async () => {
    const { billing } = (await billedAgentConfig({ subscription: false })).body
    expect(billing).toMatchObject({ can_respond: false, allowed: false })
    expect(String(billing.reason).toLowerCase()).toContain('subscription')
  })

  it('includes embed_domains when configured', async () => {
    const { body } = await billedAgentConfig({
      agent: { configuration: { embed_domains: ['example.com', 'test.com'] } },
    })
    expect(body.embed_domains).toEqual(['example.com', 'test.com'])
  })

  it.each([
    ['404 for an unknown agent', '00000000-0000-0000-0000-000000000000', 404, 'NOT_FOUND'],
    ['400 for a non-UUID agent id', '1%20OR%201=1', 400, 'BAD_REQUEST'],
  ])('answers %s', async (_label, pathAgentId, status, code) => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const path = `/api/internal/agent/${pathAgentId}/config`
    const { res, body } = await getJson(path, internalHeaders(agent.id), agentConfigSchema)
    expect(res.status).toBe(status)
    expect(body.error?.code).toBe(code)
  })

  it('renders the system prompt from the type template with customer and agent values', async () => {
    const { db } = testDb()
    const { f, customer } = await billedAgent(db, { customer: { name: 'Acme Corp' } })
    const type = await f.agentType({
      systemPromptTemplate:
        'You are {agent_name} for {company_name}. Say "{greeting}" in a {tone} tone. {unknown} {{literal}}',
    })
    const agent = await f.agentInstance({
      customerId: customer.id,
      agentTypeId: type.id,
      configuration: { agent_name: 'Ada', greeting: 'Hi!', tone: 'friendly' },
    })
    const { body } = await getConfig(agent.id)
    expect(body.system_prompt).toBe('You are Ada for Acme Corp. Say "Hi!" in a friendly tone. {unknown} {literal}')
    expect(body.identity).toMatchObject({ name: 'Ada', greeting: 'Hi!', tone: 'friendly' })
  })

  it('changes config_version when the agent changes', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const v1 = (await getConfig(agent.id)).body.config_version
    expect((await getConfig(agent.id)).body.config_version).toBe(v1)
    await db.update(agentInstances).set({ name: 'Updated Name' }).where(eq(agentInstances.id, agent.id))
    expect((await getConfig(agent.id)).body.config_version).not.toBe(v1)
  })

  it('changes config_version when the type, the KB link, the customer or the plan changes', async () => {
    const { db } = testDb()
    const { f, agent, customer } = await billedAgent(db)
    const versions = new Set<unknown>([(await getConfig(agent.id)).body.config_version])
    const changes = [
      () =>
        db
          .update(agentTypes)
          .set({ systemPromptTemplate: 'New {company_name}' })
          .where(eq(agentTypes.id, agent.agentTypeId)),
      async () => {
        const kb = await f.knowledgeBase({ customerId: customer.id })
        await db.update(agentInstances).set({ knowledgeBaseId: kb.id }).where(eq(agentInstances.id, agent.id))
      },
      () => db.update(customers).set({ name: 'Renamed Inc' }).where(eq(customers.id, customer.id)),
      async () => {
        const plan = await f.plan({ limits: { messages: 5 } })
        await db.update(subscriptions).set({ planId: plan.id }).where(eq(subscriptions.customerId, customer.id))
      },
    ]
    for (const change of changes) {
      await change()
      versions.add((await getConfig(agent.id)).body.config_version)
    }
    expect(versions.size).toBe(changes.length + 1)
  })

  it('sends config_version as ETag and answers 304 to a matching If-None-Match', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const first = await getConfig(agent.id)
    const etag = first.res.headers.get('ETag')
    expect(etag).toBe(`"${first.body.config_version}"`)
    for (const ifNoneMatch of [etag as string, `W/${etag}`, `"other", ${etag}`]) {
      const res = await call(`/api/internal/agent/${agent.id}/config`, {
        headers: internalHeaders(agent.id, { 'If-None-Match': ifNoneMatch }),
      })
      expect(res.status).toBe(304)
      expect(res.headers.get('ETag')).toBe(etag)
      expect(await res.text()).toBe('')
      expect(statementsOf(res)).toBe(1)
    }
    const stale = await getConfig(agent.id, { 'If-None-Match': '"stale"' })
    expect(stale.res.status).toBe(200)
  })

  it('does not expose a knowledge base of another customer linked by mistake', async () => {
    const { db } = testDb()
    const { f, agent } = await billedAgent(db)
    const foreignKb = await f.knowledgeBase()
    await db.update(agentInstances).set({ knowledgeBaseId: foreignKb.id }).where(eq(agentInstances.id, agent.id))
    expect((await getConfig(agent.id)).body.knowledge_base).toBeNull()
  })
})
