// A customer an operator suspended (customers.is_active = false) is suspended everywhere the runtime looks.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../../src/db/schema'
import { canRespond, getAgentConfig, validateApiKey } from '../../support/billing'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'
import { call, internalHeaders } from '../../support/http'
import { queryEmbedding, vectorWithScore } from '../../support/knowledge'

async function suspendedCustomer() {
  const { db } = testDb()
  const f = factories(db)
  const customer = await f.customer()
  await f.subscription({ customerId: customer.id })
  await f.extraUsageBalance({ customerId: customer.id, balanceCents: 5000 })
  const kb = await f.knowledgeBase({ customerId: customer.id })
  const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
  const q = await queryEmbedding('refunds')
  await f.documentChunk({ documentId: doc.id, content: 'Refunds take 14 days', embedding: vectorWithScore(q, 0.9) })
  const agent = await f.agentInstance({ customerId: customer.id, knowledgeBaseId: kb.id })
  const integration = await f.integration({ customerId: customer.id, accessToken: 'suspended_customer_token' })
  const suspend = (isActive = false) => db.update(s.customers).set({ isActive }).where(eq(s.customers.id, customer.id))
  return { db, customer, agent, integration, suspend }
}

const search = (agentId: string) =>
  call('/api/internal/knowledge/search', {
    method: 'POST',
    headers: { ...internalHeaders(agentId), 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: 'refunds' }),
  })

describe('a suspended customer', () => {
  it('gets nothing from the internal API, and everything back once resumed', async () => {
    const { agent, integration, suspend } = await suspendedCustomer()
    const validate = () => validateApiKey({ ...internalHeaders(), 'X-API-Key': agent.apiKey! })
    const config = () => getAgentConfig(agent.id)
    const credentials = () =>
      call(`/api/internal/integrations/${integration.id}/credentials`, { headers: internalHeaders(agent.id) })

    expect((await validate()).body.valid).toBe(true)
    await suspend()

    expect((await validate()).body).toEqual({ valid: false })
    const cfg = await config()
    expect(cfg.res.status).toBe(403)
    expect(cfg.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('suspended') })
    expect((await canRespond(agent.id)).body).toMatchObject({
      allowed: false,
      in_grace_period: false,
      reason: 'customer_suspended',
      reason_code: 'customer_suspended',
    })
    const found = await search(agent.id)
    expect(found.status).toBe(403)
    expect(await found.text()).not.toContain('Refunds take 14 days')
    const secret = await credentials()
    expect(secret.status).toBe(403)
    expect(await secret.text()).not.toContain('suspended_customer_token')
    expect((await call('/api/internal/integrations', { headers: internalHeaders(agent.id) })).status).toBe(403)

    await suspend(true)
    expect((await validate()).body.valid).toBe(true)
    expect((await config()).res.status).toBe(200)
    expect((await canRespond(agent.id)).body.allowed).toBe(true)
    expect((await search(agent.id)).status).toBe(200)
    expect((await credentials()).status).toBe(200)
  })
})

describe("the agent type's knowledge_base.enabled flag", () => {
  it('turns internal knowledge search off, as config reports it', async () => {
    const { db } = testDb()
    const f = factories(db)
    const type = await f.agentType({ onboardingSchema: { steps: [], knowledge_base: { enabled: false } } })
    const kb = await f.knowledgeBase()
    const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
    await f.documentChunk({ documentId: doc.id, content: 'Refunds take 14 days' })
    await f.subscription({ customerId: kb.customerId })
    const agent = await f.agentInstance({ customerId: kb.customerId, agentTypeId: type.id, knowledgeBaseId: kb.id })

    const cfg = await getAgentConfig(agent.id)
    expect(cfg.body.knowledge_base).toMatchObject({ id: kb.id, enabled: false })
    const res = await search(agent.id)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ knowledge_base_id: null, results: [], dropped_terms: [] })
  })
})
