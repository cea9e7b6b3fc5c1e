// Every customer route with another customer's ids: 404, and nothing of theirs in the body.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { agentInstances, onboardingSessions } from '../../src/db/schema'
import { testDb } from '../support/db'
import { signedInCustomer } from '../support/web'

async function twoCustomers() {
  const { db } = testDb()
  const me = await signedInCustomer(db)
  const them = await signedInCustomer(db)
  const theirKb = await them.f.knowledgeBase({
    customerId: them.customer.id,
    name: `Their KB ${them.customer.id.slice(0, 6)}`,
  })
  const theirAgent = await them.f.agentInstance({
    customerId: them.customer.id,
    name: `Their agent ${them.customer.id.slice(0, 6)}`,
    knowledgeBaseId: theirKb.id,
    configuration: { agent_name: 'Their agent', greeting: 'their-secret-greeting', embed_domains: ['them.example'] },
  })
  const secrets = [
    theirAgent.name,
    theirAgent.apiKeyPrefix,
    theirAgent.apiKeyHash,
    theirAgent.apiKey!,
    theirKb.name,
    'their-secret-greeting',
    'them.example',
    them.customer.name,
    them.session.csrfToken,
  ]
  return { db, me, them, theirAgent, theirKb, secrets }
}

const AGENT_ROUTES: { method: 'GET' | 'POST'; path: (id: string) => string; form?: Record<string, string> }[] = [
  { method: 'GET', path: (id) => `/agents/${id}` },
  { method: 'POST', path: (id) => `/agents/${id}/configuration`, form: { agent_name: 'Hijacked' } },
  { method: 'POST', path: (id) => `/agents/${id}/domains`, form: { embed_domains: 'evil.example' } },
  { method: 'POST', path: (id) => `/agents/${id}/activate` },
  { method: 'POST', path: (id) => `/agents/${id}/deactivate` },
  { method: 'POST', path: (id) => `/agents/${id}/rotate-key` },
]

describe('tenant isolation', () => {
  it.each(AGENT_ROUTES.map((r) => [`${r.method} ${r.path(':id')}`, r] as const))(
    '%s with another customer’s agent id → 404, nothing of theirs shown or changed',
    async (_label, route) => {
      const { db, me, theirAgent, secrets } = await twoCustomers()
      await me.web.page('/dashboard')
      const res =
        route.method === 'GET'
          ? await me.web.get(route.path(theirAgent.id))
          : await me.web.post(route.path(theirAgent.id), route.form ?? {})
      expect(res.status).toBe(404)
      const body = await res.text()
      for (const secret of secrets) expect(body).not.toContain(secret)
      const after = await db.query.agentInstances.findFirst({ where: eq(agentInstances.id, theirAgent.id) })
      expect(after).toEqual({ ...theirAgent, apiKey: undefined, updatedAt: after!.updatedAt })
      expect(after!.apiKeyHash).toBe(theirAgent.apiKeyHash)
      expect(after!.isActive).toBe(true)
    },
  )

  it.each(['not-a-uuid', '00000000-0000-4000-8000-000000000000'])('unknown agent id %s → 404', async (id) => {
    const { me } = await twoCustomers()
    expect((await me.web.get(`/agents/${id}`)).status).toBe(404)
  })

  it('dashboard, catalog and wizard pages show nothing of another customer', async () => {
    const { me, them, secrets } = await twoCustomers()
    const type = await me.f.agentType({
      onboardingSchema: { steps: [], knowledge_base: { enabled: true, required: true, allow_existing: true } },
    })
    await them.web.page(`/agents/onboarding/${type.slug}`)
    for (const path of ['/dashboard', '/agents/new', `/agents/onboarding/${type.slug}`]) {
      const { res, html } = await me.web.page(path)
      expect(res.status, path).toBe(200)
      for (const secret of secrets) expect(html, path).not.toContain(secret)
    }
  })

  it('the wizard cannot link another customer’s knowledge base, and sessions stay per customer', async () => {
    const { db, me, them, theirKb, secrets } = await twoCustomers()
    const type = await me.f.agentType({
      onboardingSchema: { steps: [], knowledge_base: { enabled: true, required: true, allow_existing: true } },
    })
    await them.web.page(`/agents/onboarding/${type.slug}`)
    await me.web.page(`/agents/onboarding/${type.slug}`)
    const res = await me.web.post(`/agents/onboarding/${type.slug}/step/knowledge_base`, {
      kb_choice: 'existing',
      kb_id: theirKb.id,
    })
    expect(res.status).toBe(200)
    const body = await res.text()
    for (const secret of secrets) expect(body).not.toContain(secret)
    expect(await db.select().from(agentInstances).where(eq(agentInstances.customerId, me.customer.id))).toHaveLength(0)
    const sessions = await db.select().from(onboardingSessions).where(eq(onboardingSessions.agentTypeId, type.id))
    expect(sessions.map((s) => s.customerId).sort()).toEqual([me.customer.id, them.customer.id].sort())
  })

  it('one customer’s session cookie with another customer’s CSRF token is refused', async () => {
    const { me, them, theirAgent } = await twoCustomers()
    const res = await me.web.post(`/agents/${theirAgent.id}/deactivate`, { _csrf: them.session.csrfToken })
    expect(res.status).toBe(403)
  })
})
