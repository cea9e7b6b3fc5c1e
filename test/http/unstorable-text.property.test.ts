// Anything a client can type, sent to every form route the pages show (signed in and out), to
// query strings and to the JSON API: never a 5xx. NUL and unpaired surrogates are refused at the
// edge (src/http/text-guard.ts) with 422 naming the field.

import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { subscriptions } from '../../src/db/schema'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { BASE, call, internalHeaders } from '../support/http'
import { seedStripeSubscription, stripeSubscription } from '../support/stripe'
import { signedInCustomer } from '../support/web'
import { WebClient } from '../support/web-client'

const WIZARD = {
  steps: [
    {
      id: 'basics',
      title: 'Basic Info',
      fields: [
        { name: 'agent_name', type: 'text', required: true, max_length: 60 },
        { name: 'greeting', type: 'textarea', required: false },
        { name: 'support_email', type: 'email', required: false },
        { name: 'website', type: 'url', required: false },
      ],
    },
    { id: 'tone', title: 'Tone', fields: [{ name: 'tone', type: 'select', options: ['friendly', 'formal'] }] },
  ],
}

/** One character of anything: NUL, an unpaired surrogate, any code point, any grapheme. */
const character = fc.oneof(
  { weight: 1, arbitrary: fc.constant('\u0000') },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
)
const text = fc.oneof(
  fc.string({ unit: character, maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', 'a\u0000b@x.com', 'friendly', 'https://example.com', 'owner@example.com'),
)
const RUNS = 30
/** A URL cannot carry an unpaired surrogate (encodeURIComponent throws); send a NUL in its place. */
const inUrl = (value: string) => encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '\u0000'))

interface Setup {
  web: WebClient
  kbId: string
  agentId: string
  slug: string
  planSlug: string
}
let setup: Setup

beforeAll(async () => {
  const { db } = testDb()
  const { f, web, customer, plan } = await signedInCustomer(db, { agents: 50, knowledge_bases: 50 })
  const type = await f.agentType({ onboardingSchema: WIZARD })
  const kb = await f.knowledgeBase({ customerId: customer.id })
  const agent = await f.agentInstance({ customerId: customer.id, agentTypeId: type.id })
  // Stripe knows the subscription, so a generated plan that exists (e.g. "pro") switches it as in production.
  const subscription = await db.query.subscriptions.findFirst({ where: eq(subscriptions.customerId, customer.id) })
  await seedStripeSubscription(
    stripeSubscription({
      id: subscription?.stripeSubscriptionId as string,
      customer: customer.stripeCustomerId as string,
      priceId: plan.stripePriceId as string,
    }),
  )
  setup = { web, kbId: kb.id, agentId: agent.id, slug: type.slug, planSlug: plan.slug }
})

type FormRoute = [name: string, path: (s: Setup) => string, fields: string[], signedIn: boolean]

const formRoutes: FormRoute[] = [
  ['log in', () => '/login', ['email', 'password'], false],
  ['sign up', () => '/signup', ['company_name', 'email', 'password'], false],
  [
    'wizard step',
    (s) => `/agents/onboarding/${s.slug}/step/basics`,
    ['agent_name', 'greeting', 'support_email', 'website'],
    true,
  ],
  ['wizard step (select)', (s) => `/agents/onboarding/${s.slug}/step/tone`, ['tone', '_action'], true],
  ['agent configuration', (s) => `/agents/${s.agentId}/configuration`, ['agent_name', 'greeting', 'website'], true],
  ['agent embed domains', (s) => `/agents/${s.agentId}/domains`, ['embed_domains'], true],
  ['create knowledge base', () => '/knowledge', ['name', 'description'], true],
  ['rename knowledge base', (s) => `/knowledge/${s.kbId}`, ['name', 'description'], true],
  ['add text', (s) => `/knowledge/${s.kbId}/text`, ['title', 'text'], true],
  ['search knowledge base', (s) => `/knowledge/${s.kbId}/search`, ['query'], true],
  ['billing checkout', () => '/billing/checkout/', ['plan'], true],
  ['billing top-up', () => '/billing/top-up/', ['amount'], true],
  ['billing portal', () => '/billing/portal/', ['return'], true],
]

const fieldsOf = (names: string[]) => fc.record(Object.fromEntries(names.map((n) => [n, text])))

// Every page and form times RUNS requests: with coverage instrumentation on a busy 2-core machine
// one case takes longer than the default 20 s.
describe('no 5xx for anything a client can type', { timeout: 120_000 }, () => {
  it.each(formRoutes)('form: %s', async (_name, path, fields, signedIn) => {
    await fc.assert(
      fc.asyncProperty(fieldsOf(fields), text, async (values, extra) => {
        const web = signedIn ? setup.web : new WebClient()
        const res = await web.post(`${path(setup)}?next=${inUrl(extra)}`, values)
        expect(res.status, `${res.status} for ${JSON.stringify(values)}`).toBeLessThan(500)
      }),
      { numRuns: RUNS },
    )
  })

  it('upload: file names and contents', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, async (name, content) => {
        // As the upload form sends it: the CSRF token first (the only part read before the session is known).
        const body = new FormData()
        body.append('_csrf', setup.web.csrf!)
        body.append('files', new File([content], `${name}.txt`))
        const res = await call(`/knowledge/${setup.kbId}/documents`, {
          method: 'POST',
          headers: { Origin: BASE, Cookie: [...setup.web.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
          body,
          redirect: 'manual',
        })
        expect(res.status).toBeLessThan(500)
      }),
      { numRuns: RUNS },
    )
  })

  it('query strings of pages', async () => {
    const pages = (s: Setup, v: string) => [
      `/login?next=${v}`,
      `/knowledge/${s.kbId}?notice=${v}`,
      `/agents/onboarding/${s.slug}?step=${v}`,
      `/agents/${s.agentId}?notice=${v}`,
      `/integrations/callback?state=${v}&code=${v}`,
      `/billing?checkout=${v}`,
    ]
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        for (const path of pages(setup, inUrl(value))) {
          const res = await setup.web.get(path)
          expect(res.status, path).toBeLessThan(500)
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('JSON: knowledge search and usage batch', async () => {
    const { db } = testDb()
    const agent = await factories(db).agentInstance()
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        const search = await call('/api/internal/knowledge/search', {
          method: 'POST',
          headers: { ...internalHeaders(agent.id), 'Content-Type': 'application/json' },
          body: JSON.stringify({ query: value, [value]: 1 }),
        })
        expect(search.status).toBeLessThan(500)
        const batch = await call('/api/internal/usage/batch', {
          method: 'POST',
          headers: { ...internalHeaders(), 'Content-Type': 'application/json' },
          body: JSON.stringify({
            reports: [{ agent_instance_id: agent.id, timestamp: value, request_id: value, metrics: { messages: 1 } }],
          }),
        })
        expect(batch.status).toBeLessThan(500)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('NUL and unpaired surrogates are refused at the edge', () => {
  const raw = (web: WebClient, path: string, body: string) =>
    call(path, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: BASE,
        'CF-Connecting-IP': web.address,
        ...(web.cookies.size > 0
          ? { Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'X-CSRF-Token': web.csrf! }
          : {}),
      },
      body,
    })

  it.each([
    ['log in', () => '/login', 'email=a%00b%40x.com&password=whatever-password', 'email', false],
    ['billing checkout', () => '/billing/checkout/', 'plan=pro%00', 'plan', true],
    ['rename knowledge base', (s: Setup) => `/knowledge/${s.kbId}`, 'name=Docs%00&description=', 'name', true],
    ['add text', (s: Setup) => `/knowledge/${s.kbId}/text`, 'title=T&text=a%00b', 'text', true],
    ['wizard step', (s: Setup) => `/agents/onboarding/${s.slug}/step/basics`, 'agent_name=Bot%00', 'agent_name', true],
  ] as const)('%s: 422, a readable page naming the field', async (_name, path, body, field, signedIn) => {
    const res = await raw(signedIn ? setup.web : new WebClient(), path(setup), body)
    expect(res.status).toBe(422)
    expect(res.headers.get('Content-Type')).toContain('text/html')
    expect(await res.text()).toContain(`The field &quot;${field}&quot; contains a character that cannot be stored`)
  })

  it('JSON: 422 in the envelope with the field path', async () => {
    const { db } = testDb()
    const agent = await factories(db).agentInstance()
    const res = await call('/api/internal/knowledge/search', {
      method: 'POST',
      headers: { ...internalHeaders(agent.id), 'Content-Type': 'application/json' },
      body: '{"query":"a\\ud800b"}',
    })
    expect(res.status).toBe(422)
    const body = (await res.json()) as { error: { code: string; details: Array<{ field: string }> } }
    expect(body.error.code).toBe('UNPROCESSABLE_ENTITY')
    expect(body.error.details[0]?.field).toBe('query')
  })

  it('a NUL in a path names no page', async () => {
    const res = await setup.web.get('/agents/onboarding/%00')
    expect(res.status).toBe(404)
  })
})
