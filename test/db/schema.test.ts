import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { testDb } from '../support/db'
import { factories } from '../support/factories'

const TABLES = [
  'customers',
  'customer_users',
  'customer_sessions',
  'login_attempts',
  'attempt_counters',
  'agent_types',
  'agent_instances',
  'onboarding_sessions',
  'knowledge_bases',
  'knowledge_documents',
  'document_chunks',
  'plans',
  'subscriptions',
  'usage_records',
  'usage_reports',
  'extra_usage_balances',
  'billing_settings',
  'stripe_events',
  'notifications',
  'integration_providers',
  'integrations',
  'oauth_states',
  'operator_actions',
  'balance_ledger',
]

describe('schema after migrations', () => {
  it('has every table of the data model', async () => {
    const { db } = testDb()
    const result = await db.execute<{ table_name: string }>(
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    )
    const present = new Set(result.rows.map((r) => r.table_name))
    for (const table of TABLES) expect(present, table).toContain(table)
  })

  it('has an HNSW cosine index on document_chunks.embedding (vector 1536)', async () => {
    const { db } = testDb()
    const idx = await db.execute<{ indexdef: string }>(
      sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'document_chunks' AND indexname = 'document_chunks_embedding_hnsw'`,
    )
    expect(idx.rows[0]?.indexdef).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/)
    const col = await db.execute<{ type: string }>(
      sql`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'document_chunks'::regclass AND attname = 'embedding'`,
    )
    expect(col.rows[0]?.type).toBe('vector(1536)')
  })

  it('rejects a status outside the allowed set', async () => {
    const { db } = testDb()
    const f = factories(db)
    await expect(f.subscription({ status: 'bogus' as never })).rejects.toThrow()
  })
})

describe('factories', () => {
  it('create every model with its dependencies', async () => {
    const { db } = testDb()
    const f = factories(db)
    const customer = await f.customer()
    expect(customer.stripeCustomerId).toMatch(/^cus_test_/)
    expect((await f.customerUser({ customerId: customer.id })).role).toBe('admin')
    const type = await f.agentType()
    const agent = await f.agentInstance({ customerId: customer.id, agentTypeId: type.id })
    expect(agent.apiKeyPrefix).toMatch(/^efk_/)
    expect(agent.apiKey?.startsWith(`${agent.apiKeyPrefix}_`)).toBe(true)
    expect((await f.onboardingSession({ customerId: customer.id, agentTypeId: type.id })).status).toBe('in_progress')
    const kb = await f.knowledgeBase({ customerId: customer.id })
    const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id })
    expect(doc.customerId).toBe(customer.id)
    const chunk = await f.documentChunk({ documentId: doc.id, embedding: [0.9, ...Array(1535).fill(0)] })
    expect(chunk.knowledgeBaseId).toBe(kb.id)
    expect(chunk.embedding).toHaveLength(1536)
    const plan = await f.plan()
    expect((await f.subscription({ customerId: customer.id, planId: plan.id })).status).toBe('active')
    expect((await f.usageRecord({ customerId: customer.id, agentInstanceId: agent.id, messages: 3 })).messages).toBe(3)
    expect((await f.extraUsageBalance({ customerId: customer.id })).balanceCents).toBe(0)
    const provider = await f.integrationProvider()
    expect((await f.integration({ customerId: customer.id, providerId: provider.id })).status).toBe('active')
  })

  it('create independent rows on every call', async () => {
    const { db } = testDb()
    const f = factories(db)
    const [a, b] = await Promise.all([f.agentInstance(), f.agentInstance()])
    expect(a.customerId).not.toBe(b.customerId)
    expect(a.apiKeyPrefix).not.toBe(b.apiKeyPrefix)
  })
})
