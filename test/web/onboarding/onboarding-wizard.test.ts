// Spec section 6.1 (TestOnboardingWizard, TestKnowledgeBaseStep), one test per scenario, plus
// the wizard's own rules: field types, Back, progress, malformed schemas and plan limits.
import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { agentInstances, onboardingSessions } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { signedInCustomer } from '../../support/web'

const onboarding = (slug: string) => `/agents/onboarding/${slug}`
const stepUrl = (slug: string, step: string) => `/agents/onboarding/${slug}/step/${step}`
const completeUrl = (slug: string) => `/agents/onboarding/${slug}/complete`

const BASICS = { id: 'basics', title: 'Basic Info', fields: [{ name: 'agent_name', type: 'text', required: true }] }

/** A signed-in customer and a new agent type whose wizard follows `onboardingSchema` (the factory's default without one). */
async function wizardFor(onboardingSchema?: Record<string, unknown>) {
  const { db } = testDb()
  const signedIn = await signedInCustomer(db)
  const type = await signedIn.f.agentType(onboardingSchema ? { onboardingSchema } : {})
  return { db, ...signedIn, type }
}

async function sessionOf(db: ReturnType<typeof testDb>['db'], customerId: string, agentTypeId: string) {
  return db.query.onboardingSessions.findFirst({
    where: and(eq(onboardingSessions.customerId, customerId), eq(onboardingSessions.agentTypeId, agentTypeId)),
  })
}

describe('TestOnboardingWizard (spec 6.1)', () => {
  it('test_wizard_loads_first_step: renders the first step from the schema', async () => {
    const { web, type } = await wizardFor({ steps: [BASICS] })
    const { res, html } = await web.page(onboarding(type.slug))
    expect(res.status).toBe(200)
    expect(html).toContain('Basic Info')
    expect(html).toContain('agent_name')
  })

  it('test_wizard_creates_session: starting the wizard creates an in-progress session', async () => {
    const { db, web, customer, type } = await wizardFor()
    await web.page(onboarding(type.slug))
    const session = await sessionOf(db, customer.id, type.id)
    expect(session).toBeDefined()
    expect(session!.status).toBe('in_progress')
  })

  it('resumes the same session instead of starting another', async () => {
    const { db, web, customer, type } = await wizardFor()
    await web.page(onboarding(type.slug))
    await web.page(onboarding(type.slug))
    const rows = await db
      .select()
      .from(onboardingSessions)
      .where(and(eq(onboardingSessions.customerId, customer.id), eq(onboardingSessions.agentTypeId, type.id)))
    expect(rows).toHaveLength(1)
  })

  it('test_wizard_step_validation: a missing required field is reported beside it', async () => {
    const { web, type } = await wizardFor({ steps: [BASICS] })
    const res = await web.post(stepUrl(type.slug, 'basics'), {})
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html.toLowerCase()).toContain('required')
    expect(html).toContain('id="field-agent_name-error"')
    expect(html).toContain('aria-invalid="true"')
  })

  it('test_wizard_advances_steps: a valid submission advances to the next step', async () => {
    const { web, type } = await wizardFor({
      steps: [
        BASICS,
        { id: 'advanced', title: 'Advanced', fields: [{ name: 'greeting', type: 'textarea', required: false }] },
      ],
    })
    await web.page(onboarding(type.slug))
    const res = await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'My Agent' })
    expect(res.status).toBe(303)
    const { html } = await web.follow(res)
    expect(html).toContain('Advanced')
    expect(html).toContain('Step 2 of 2')
  })

  it('test_wizard_saves_data_to_session: step data is saved to the session', async () => {
    const { db, web, customer, type } = await wizardFor({
      steps: [BASICS, { id: 'more', fields: [{ name: 'greeting', type: 'textarea' }] }],
    })
    await web.page(onboarding(type.slug))
    await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'Test Agent' })
    const session = await sessionOf(db, customer.id, type.id)
    expect(session!.data.agent_name).toBe('Test Agent')
  })

  it('test_wizard_completion_creates_agent: the last step creates the agent with an efk_ key', async () => {
    const { db, web, customer, type } = await wizardFor({ steps: [{ id: 'basics', fields: BASICS.fields }] })
    await web.page(onboarding(type.slug))
    const res = await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'My New Agent' })
    expect(res.status).toBe(200)
    const html = await res.text()
    const agent = await db.query.agentInstances.findFirst({
      where: and(eq(agentInstances.customerId, customer.id), eq(agentInstances.agentTypeId, type.id)),
    })
    expect(agent).toBeDefined()
    expect(agent!.name).toBe('My New Agent')
    expect(agent!.apiKeyPrefix.startsWith('efk_')).toBe(true)

    // The full key is shown once, in the response, and only its hash is stored.
    const key = /value="(efk_[A-Za-z0-9]+_[A-Za-z0-9]+)"/.exec(html)?.[1]
    expect(key).toBeDefined()
    expect(key!.startsWith(`${agent!.apiKeyPrefix}_`)).toBe(true)
    expect(agent!.apiKeyHash).not.toContain(key!)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const session = await sessionOf(db, customer.id, type.id)
    expect(session!.status).toBe('completed')
    expect(session!.agentInstanceId).toBe(agent!.id)
    expect(JSON.stringify(session!.data)).not.toContain(key!)

    const again = await web.page(`/agents/${agent!.id}`)
    expect(again.html).not.toContain(key!)
  })
})

describe('TestKnowledgeBaseStep (spec 6.1)', () => {
  const NAME_ONLY = { id: 'basics', fields: [{ name: 'name', type: 'text' }] }

  it('test_kb_step_shown_when_enabled: the knowledge-base step is part of the wizard', async () => {
    const { web, type } = await wizardFor({ steps: [NAME_ONLY], knowledge_base: { enabled: true, required: false } })
    const { html } = await web.page(onboarding(type.slug))
    expect(html.toLowerCase()).toContain('knowledge')
    expect(html).toContain('Step 1 of 2')
  })

  it('test_kb_step_hidden_when_disabled: no knowledge-base step when disabled', async () => {
    const { web, type } = await wizardFor({ steps: [NAME_ONLY], knowledge_base: { enabled: false } })
    const { html } = await web.page(onboarding(type.slug))
    expect(html.toLowerCase()).not.toContain('knowledge base')
    expect(html).toContain('Step 1 of 1')
    const res = await web.post(stepUrl(type.slug, 'knowledge_base'), { create_new: 'True', kb_name: 'Docs' })
    expect(res.status).toBe(404)
  })

  it('test_kb_required_validation: a required knowledge base blocks completion without one', async () => {
    const { db, web, customer, type } = await wizardFor({
      steps: [],
      knowledge_base: { enabled: true, required: true },
    })
    await web.page(onboarding(type.slug))
    const res = await web.post(completeUrl(type.slug), {})
    expect(res.status).not.toBe(302)
    expect(await res.text()).toContain('needs a knowledge base')
    const agents = await db.select().from(agentInstances).where(eq(agentInstances.customerId, customer.id))
    expect(agents).toHaveLength(0)

    const none = await web.post(stepUrl(type.slug, 'knowledge_base'), { kb_choice: 'none' })
    expect(none.status).toBe(200)
    expect(await db.select().from(agentInstances).where(eq(agentInstances.customerId, customer.id))).toHaveLength(0)
  })

  it('links an existing knowledge base of the customer, never another customer’s', async () => {
    const { db } = testDb()
    const { f, web, customer } = await signedInCustomer(db)
    const mine = await f.knowledgeBase({ customerId: customer.id, name: 'My handbook' })
    const theirs = await f.knowledgeBase({ name: 'Their secret docs' })
    const type = await f.agentType({
      onboardingSchema: {
        steps: [BASICS],
        knowledge_base: { enabled: true, required: true, allow_existing: true, allow_create_new: false },
      },
    })
    await web.page(onboarding(type.slug))
    await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'Linked' })
    const { html } = await web.page(`${onboarding(type.slug)}?step=knowledge_base`)
    expect(html).toContain('My handbook')
    expect(html).not.toContain('Their secret docs')

    const stolen = await web.post(stepUrl(type.slug, 'knowledge_base'), { kb_choice: 'existing', kb_id: theirs.id })
    expect(stolen.status).toBe(200)
    expect(await stolen.text()).toContain('Choose one of your knowledge bases')

    const ok = await web.post(stepUrl(type.slug, 'knowledge_base'), { kb_choice: 'existing', kb_id: mine.id })
    expect(ok.status).toBe(200)
    const agent = await db.query.agentInstances.findFirst({ where: eq(agentInstances.customerId, customer.id) })
    expect(agent!.knowledgeBaseId).toBe(mine.id)
  })
})

describe('wizard fields', () => {
  const ALL_TYPES = {
    steps: [
      {
        id: 'all',
        title: 'All the types',
        fields: [
          { name: 'agent_name', type: 'text', required: true, min_length: 3, max_length: 20 },
          { name: 'greeting', type: 'textarea', max_length: 10 },
          {
            name: 'tone',
            type: 'select',
            required: true,
            options: [{ value: 'friendly', label: 'Friendly' }, 'formal'],
          },
          { name: 'terms', type: 'checkbox', required: true, label: 'Accept the terms' },
          { name: 'max_replies', type: 'number', min: 1, max: 20 },
          { name: 'contact', type: 'email', required: true },
          { name: 'site', type: 'url' },
          { name: 'code', type: 'text', pattern: '^[A-Z]{3}$', help: 'Three capital letters' },
        ],
      },
    ],
  }

  it.each([
    ['too short text', { agent_name: 'ab' }, 'agent_name', 'at least 3 characters'],
    ['too long text', { agent_name: 'x'.repeat(21) }, 'agent_name', 'at most 20 characters'],
    ['too long textarea', { greeting: 'x'.repeat(11) }, 'greeting', 'at most 10 characters'],
    ['unknown select option', { tone: 'rude' }, 'tone', 'Choose one of the options'],
    ['unchecked required checkbox', { terms: '' }, 'terms', 'is required'],
    ['non-number', { max_replies: 'many' }, 'max_replies', 'must be a number'],
    ['number below min', { max_replies: '0' }, 'max_replies', 'at least 1'],
    ['number above max', { max_replies: '21' }, 'max_replies', 'at most 20'],
    ['bad email', { contact: 'not-an-email' }, 'contact', 'valid email'],
    ['bad url', { site: 'javascript:alert(1)' }, 'site', 'web address'],
    ['pattern mismatch', { code: 'abc' }, 'code', 'Three capital letters'],
  ])('rejects %s and keeps the typed values', async (_label, override, fieldName, message) => {
    const { web, type } = await wizardFor(ALL_TYPES)
    const valid = {
      agent_name: 'Helper',
      tone: 'formal',
      terms: 'on',
      max_replies: '5',
      contact: 'help@example.com',
      site: 'https://example.com',
      code: 'ABC',
    }
    const res = await web.post(stepUrl(type.slug, 'all'), { ...valid, ...override })
    expect(res.status).toBe(200)
    const html = await res.text()
    const errorBlock = new RegExp(`id="field-${fieldName}-error">([^<]*)<`).exec(html)?.[1] ?? ''
    expect(errorBlock).toContain(message)
    expect(html.match(/class="error"/g)).toHaveLength(1)
    expect(html).toContain(fieldName === 'contact' ? 'value="Helper"' : 'value="help@example.com"')
  })

  it('saves typed values: numbers as numbers, checkboxes as booleans, empty optionals left out', async () => {
    const { db, web, customer, type } = await wizardFor(ALL_TYPES)
    const res = await web.post(stepUrl(type.slug, 'all'), {
      agent_name: 'Helper',
      tone: 'friendly',
      terms: 'on',
      max_replies: '7',
      contact: 'help@example.com',
      site: '',
      code: 'XYZ',
    })
    expect(res.status).toBe(200)
    const agent = await db.query.agentInstances.findFirst({ where: eq(agentInstances.customerId, customer.id) })
    expect(agent!.configuration).toEqual({
      agent_name: 'Helper',
      tone: 'friendly',
      terms: true,
      max_replies: 7,
      contact: 'help@example.com',
      code: 'XYZ',
    })
  })
})

describe('wizard navigation', () => {
  const TWO_STEPS = {
    steps: [BASICS, { id: 'style', title: 'Style', fields: [{ name: 'greeting', type: 'textarea', required: true }] }],
    knowledge_base: { enabled: true, required: false },
  }

  it('Back keeps what was typed in the step being left, and the saved earlier step', async () => {
    const { web, type } = await wizardFor(TWO_STEPS)
    await web.page(onboarding(type.slug))
    await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'Keeper' })
    const back = await web.post(stepUrl(type.slug, 'style'), { greeting: 'Half typed', _action: 'back' })
    expect(back.status).toBe(303)
    const first = await web.follow(back)
    expect(first.html).toContain('value="Keeper"')
    expect(first.html).toContain('aria-current="step">Basic Info')
    const { html } = await web.page(`${onboarding(type.slug)}?step=style`)
    expect(html).toContain('Half typed')
  })

  it('shows progress and does not let a later step be opened before earlier ones are done', async () => {
    const { web, type } = await wizardFor(TWO_STEPS)
    const skip = await web.page(`${onboarding(type.slug)}?step=knowledge_base`)
    expect(skip.html).toContain('Step 1 of 3')
    const post = await web.post(stepUrl(type.slug, 'style'), { greeting: 'Hi' })
    expect(post.status).toBe(303)
    expect(post.headers.get('Location')).toContain('step=basics')
  })

  it('completing via /complete before the steps are done shows the missing step', async () => {
    const { db, web, customer, type } = await wizardFor(TWO_STEPS)
    await web.page(onboarding(type.slug))
    const res = await web.post(completeUrl(type.slug), {})
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Basic Info')
    expect(await db.select().from(agentInstances).where(eq(agentInstances.customerId, customer.id))).toHaveLength(0)
  })

  it('a completed session is not completed twice: /complete afterwards starts over, creating nothing', async () => {
    const { db, web, customer, type } = await wizardFor({ steps: [BASICS] })
    await web.page(onboarding(type.slug))
    await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'Once' })
    const again = await web.post(completeUrl(type.slug), {})
    expect(again.status).toBe(200)
    expect(await again.text()).toContain('is required')
    const agents = await db.select().from(agentInstances).where(eq(agentInstances.customerId, customer.id))
    expect(agents.map((a) => a.name)).toEqual(['Once'])
  })
})

describe('malformed schemas and unknown types', () => {
  it.each([
    ['unknown field type', { steps: [{ id: 'a', fields: [{ name: 'x', type: 'colour' }] }] }, 'steps.0.fields.0.type'],
    ['select without options', { steps: [{ id: 'a', fields: [{ name: 'x', type: 'select' }] }] }, 'options'],
    ['invalid pattern', { steps: [{ id: 'a', fields: [{ name: 'x', type: 'text', pattern: '(' }] }] }, 'pattern'],
    ['steps not a list', { steps: 'basics' }, 'steps'],
    ['duplicate step ids', { steps: [BASICS, { ...BASICS, fields: [] }] }, 'appears twice'],
    ['no steps at all', {}, 'no steps'],
  ])('answers a %s with a readable error page', async (_label, schema, problem) => {
    const { web, type } = await wizardFor(schema as Record<string, unknown>)
    const { res, html } = await web.page(onboarding(type.slug))
    expect(res.status).toBe(500)
    expect(res.headers.get('Content-Type')).toContain('text/html')
    expect(html).toContain('cannot be set up right now')
    expect(html).toContain(problem)
    const post = await web.post(stepUrl(type.slug, 'a'), { x: '1' })
    expect(post.status).toBe(500)
  })

  it('answers an unknown or inactive agent type with 404', async () => {
    const { db } = testDb()
    const { f, web } = await signedInCustomer(db)
    const inactive = await f.agentType({ isActive: false })
    expect((await web.page(onboarding('no-such-type'))).res.status).toBe(404)
    expect((await web.page(onboarding(inactive.slug))).res.status).toBe(404)
  })
})

describe('plan limits in the wizard', () => {
  it('refuses a new agent beyond the plan with a link to upgrade', async () => {
    const { db } = testDb()
    const { f, web, customer } = await signedInCustomer(db, { agents: 1, knowledge_bases: 5 })
    await f.agentInstance({ customerId: customer.id })
    const type = await f.agentType({ onboardingSchema: { steps: [BASICS] } })
    const { res, html } = await web.page(onboarding(type.slug))
    expect(res.status).toBe(403)
    expect(html).toContain('allows 1 agent')
    expect(html).toContain('href="/billing"')

    const post = await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'One too many' })
    expect(post.status).toBe(403)
    expect(await db.select().from(agentInstances).where(eq(agentInstances.customerId, customer.id))).toHaveLength(1)
  })

  it('refuses a new knowledge base beyond the plan; the agent is not created either', async () => {
    const { db } = testDb()
    const { f, web, customer } = await signedInCustomer(db, { agents: 5, knowledge_bases: 1 })
    await f.knowledgeBase({ customerId: customer.id })
    const type = await f.agentType({ onboardingSchema: { steps: [BASICS], knowledge_base: { enabled: true } } })
    await web.page(onboarding(type.slug))
    await web.post(stepUrl(type.slug, 'basics'), { agent_name: 'KB hungry' })
    const res = await web.post(stepUrl(type.slug, 'knowledge_base'), { kb_choice: 'new', kb_name: 'Second KB' })
    expect(res.status).toBe(403)
    const html = await res.text()
    expect(html).toContain('allows 1 knowledge base')
    expect(html).toContain('href="/billing"')
    expect(await db.select().from(agentInstances).where(eq(agentInstances.customerId, customer.id))).toHaveLength(0)
  })
})
