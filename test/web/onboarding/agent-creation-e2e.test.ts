// Spec section 8.1 (TestAgentCreationE2E): the whole wizard with a new knowledge base.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { agentInstances, knowledgeBases } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { call, internalHeaders } from '../../support/http'
import { shownApiKey, signedInCustomer } from '../../support/web'

describe('TestAgentCreationE2E (spec 8.1)', () => {
  it('test_full_agent_creation_with_kb: creates the agent, its configuration, key and a linked new KB', async () => {
    const { db } = testDb()
    const { f, web, customer } = await signedInCustomer(db, { agents: 5, knowledge_bases: 3 })
    const type = await f.agentType({
      onboardingSchema: {
        steps: [
          {
            id: 'basics',
            title: 'Basic Info',
            fields: [
              { name: 'agent_name', type: 'text', required: true },
              { name: 'greeting', type: 'textarea', required: false },
            ],
          },
        ],
        knowledge_base: { enabled: true, required: false, allow_create_new: true },
      },
    })

    // Step 1: start the wizard
    const start = await web.page(`/agents/onboarding/${type.slug}`)
    expect(start.res.status).toBe(200)

    // Step 2: submit basics
    const basics = await web.post(`/agents/onboarding/${type.slug}/step/basics`, {
      agent_name: 'Support Bot',
      greeting: 'Hello! How can I help?',
    })
    const afterBasics = await web.follow(basics)
    expect(afterBasics.res.status).toBe(200)
    expect(afterBasics.html).toContain('Knowledge base')

    // Step 3: create the KB (the spec's client sends create_new=True and kb_name)
    const kbStep = await web.post(`/agents/onboarding/${type.slug}/step/knowledge_base`, {
      create_new: 'True',
      kb_name: 'Support Docs',
    })
    const created = await web.follow(kbStep)
    expect(created.res.status).toBe(200)

    const agent = await db.query.agentInstances.findFirst({ where: eq(agentInstances.customerId, customer.id) })
    expect(agent).toBeDefined()
    expect(agent!.name).toBe('Support Bot')
    expect(agent!.configuration.greeting).toBe('Hello! How can I help?')
    expect(agent!.apiKeyPrefix.startsWith('efk_')).toBe(true)

    expect(agent!.knowledgeBaseId).not.toBeNull()
    const kb = await db.query.knowledgeBases.findFirst({ where: eq(knowledgeBases.id, agent!.knowledgeBaseId!) })
    expect(kb!.name).toBe('Support Docs')
    expect(kb!.customerId).toBe(customer.id)

    // The key shown once is the agent's real key: the runtime's validate-key accepts it.
    const key = shownApiKey(created.html)
    expect(key).toMatch(/^efk_[A-Za-z0-9]+_[A-Za-z0-9]+$/)
    const check = await call('/api/internal/agent/validate-key', {
      headers: internalHeaders(undefined, { 'X-API-Key': key! }),
    })
    const body = (await check.json()) as { valid: boolean; agent_instance_id?: string }
    expect(body.valid).toBe(true)
    expect(body.agent_instance_id).toBe(agent!.id)
  })

  it('walks the demo catalog’s Customer Support wizard (every field type) from the catalog page', async () => {
    const { db } = testDb()
    const { web, customer } = await signedInCustomer(db, { agents: 5, knowledge_bases: 3 })
    const catalog = await web.page('/agents/new')
    expect(catalog.html).toContain('Customer Support')
    expect(catalog.html).toContain('href="/agents/onboarding/customer-support"')

    const first = await web.page('/agents/onboarding/customer-support')
    expect(first.html).toContain('Hi! How can I help you today?')
    await web.post('/agents/onboarding/customer-support/step/basics', { agent_name: 'Ava', greeting: 'Hello!' })
    const invalid = await web.post('/agents/onboarding/customer-support/step/behaviour', {
      tone: 'friendly',
      escalation_email: 'nope',
      max_reply_sentences: '3',
    })
    expect(invalid.status).toBe(200)
    expect(await invalid.text()).toContain('Enter a valid email address')
    const next = await web.post('/agents/onboarding/customer-support/step/behaviour', {
      tone: 'friendly',
      escalation_email: 'help@acme.test',
      help_center_url: 'https://help.acme.test',
      max_reply_sentences: '3',
      collect_email: 'on',
    })
    expect(next.headers.get('Location')).toContain('step=knowledge_base')
    const done = await web.post('/agents/onboarding/customer-support/step/knowledge_base', { kb_choice: 'none' })
    expect(done.status).toBe(200)
    const agent = await db.query.agentInstances.findFirst({ where: eq(agentInstances.customerId, customer.id) })
    expect(agent!.configuration).toEqual({
      agent_name: 'Ava',
      greeting: 'Hello!',
      tone: 'friendly',
      escalation_email: 'help@acme.test',
      help_center_url: 'https://help.acme.test',
      max_reply_sentences: 3,
      collect_email: true,
    })
    expect(agent!.knowledgeBaseId).toBeNull()
  })
})
