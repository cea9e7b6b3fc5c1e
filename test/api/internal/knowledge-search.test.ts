import { describe, expect, it } from 'vitest'
import { MAX_SEARCH_WORDS } from '../../../src/knowledge/search-query'
import { admitSearch, SEARCH_RATE_LIMIT } from '../../../src/knowledge/search-rate-limit'
import { testDb } from '../../support/db'
import { env } from '../../support/env'
import { factories } from '../../support/factories'
import { call, internalHeaders, statementsOf } from '../../support/http'
import { queryEmbedding, scoredChunks } from '../../support/knowledge'

const search = (agentId: string | undefined, body: unknown, headers = internalHeaders(agentId)) =>
  call('/api/internal/knowledge/search', {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })

async function agentWithKnowledge() {
  const { db } = testDb()
  const f = factories(db)
  const kb = await f.knowledgeBase()
  const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
  const q = await queryEmbedding('how do refunds work')
  await scoredChunks(f, doc.id, q, [
    { content: 'Refunds take 14 days', chunkIndex: 3, score: 0.92 },
    { content: 'Shipping is free', chunkIndex: 7, score: 0.2 },
  ])
  const agent = await f.agentInstance({ customerId: kb.customerId, knowledgeBaseId: kb.id })
  return { f, kb, doc, agent }
}

describe('POST /api/internal/knowledge/search', () => {
  it("searches the calling agent's knowledge base", async () => {
    const { kb, doc, agent } = await agentWithKnowledge()
    const res = await search(agent.id, { query: 'how do refunds work', mode: 'vector', top_k: 5, min_score: 0.5 })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { knowledge_base_id: string; results: Array<Record<string, unknown>> }
    expect(body.knowledge_base_id).toBe(kb.id)
    expect(body.results).toEqual([
      {
        content: 'Refunds take 14 days',
        score: expect.closeTo(0.92, 4),
        document_id: doc.id,
        document_title: doc.title,
        chunk_index: 3,
        vector_rank: 1,
        keyword_rank: null,
        highlight: null,
      },
    ])
  })

  it('defaults to hybrid: each result says which side found it, keyword hits with a highlight', async () => {
    const { doc, agent } = await agentWithKnowledge()
    const res = await search(agent.id, { query: 'how do refunds work' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { results: Array<Record<string, unknown>> }
    expect(body.results).toEqual([
      {
        content: 'Refunds take 14 days',
        score: expect.closeTo(1 / 61 + 2 / 61, 6),
        document_id: doc.id,
        document_title: doc.title,
        chunk_index: 3,
        vector_rank: 1,
        keyword_rank: 1,
        highlight: '<mark>Refunds</mark> take 14 days',
      },
      {
        content: 'Shipping is free',
        score: expect.closeTo(1 / 62, 6),
        document_id: doc.id,
        document_title: doc.title,
        chunk_index: 7,
        vector_rank: 2,
        keyword_rank: null,
        highlight: null,
      },
    ])
  })

  it.each(['hybrid', 'vector', 'keyword'])('sends one SQL statement for the search itself in %s mode', async (mode) => {
    const { f, agent } = await agentWithKnowledge()
    // The same request for an agent without a knowledge base: authentication only.
    const baseline = statementsOf(await search((await f.agentInstance()).id, { query: 'refunds', mode }))
    const res = await search(agent.id, { query: 'refunds', mode })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0)
    expect(statementsOf(res) - baseline).toBe(1)
  })

  it('defaults top_k to 5 and min_score to 0', async () => {
    const { agent } = await agentWithKnowledge()
    const body = (await (await search(agent.id, { query: 'how do refunds work' })).json()) as { results: unknown[] }
    expect(body.results).toHaveLength(2)
  })

  it('answers an empty result, not an error, when the agent has no knowledge base', async () => {
    const { db } = testDb()
    const agent = await factories(db).agentInstance()
    const res = await search(agent.id, { query: 'anything' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ knowledge_base_id: null, results: [], dropped_terms: [] })
  })

  it("never reaches another customer's knowledge base", async () => {
    const { f, kb } = await agentWithKnowledge()
    const stranger = await f.agentInstance({ knowledgeBaseId: kb.id })
    const body = (await (await search(stranger.id, { query: 'how do refunds work' })).json()) as { results: unknown[] }
    expect(body.results).toEqual([])
  })

  it.each([
    ['no query', {}],
    ['an empty query', { query: '  ' }],
    ['top_k 0', { query: 'x', top_k: 0 }],
    ['top_k 51', { query: 'x', top_k: 51 }],
    ['min_score 2', { query: 'x', min_score: 2 }],
    ['an unknown mode', { query: 'x', mode: 'semantic' }],
  ])('answers 400 for %s', async (_label, body) => {
    const { agent } = await agentWithKnowledge()
    const res = await search(agent.id, body)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST')
  })

  it('answers 503 in the envelope when the embeddings service is down', async () => {
    const { agent } = await agentWithKnowledge()
    const res = await search(agent.id, { query: 'refunds [[embeddings:503]]', mode: 'vector' })
    expect(res.status).toBe(503)
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } }
    expect(body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The embeddings service is unavailable; try again shortly',
    })
    expect(body.error.request_id).toBeTruthy()
  })

  it('answers 400 for a body that is not JSON', async () => {
    const { agent } = await agentWithKnowledge()
    const res = await call('/api/internal/knowledge/search', {
      method: 'POST',
      headers: { ...internalHeaders(agent.id), 'Content-Type': 'application/json' },
      body: '{not json',
    })
    expect(res.status).toBe(400)
  })

  it('requires the service secret and an active agent', async () => {
    const { f, agent } = await agentWithKnowledge()
    expect((await search(agent.id, { query: 'x' }, { 'X-Agent-Instance-ID': agent.id })).status).toBe(401)
    expect((await search(undefined, { query: 'x' })).status).toBe(401)
    expect((await search(crypto.randomUUID(), { query: 'x' })).status).toBe(401)
    const inactive = await f.agentInstance({ isActive: false })
    expect((await search(inactive.id, { query: 'x' })).status).toBe(403)
  })

  it(`searches only the first ${MAX_SEARCH_WORDS} words of a long query and lists the rest in dropped_terms`, async () => {
    const { agent } = await agentWithKnowledge()
    const found = (await (await search(agent.id, { query: 'refunds', mode: 'keyword' })).json()) as SearchBody
    expect(found.results.map((r) => r.content)).toEqual(['Refunds take 14 days'])
    expect(found.dropped_terms).toEqual([])

    // 8,000 characters, as the API allows: the word that would match comes after the first 32.
    const filler = Array.from({ length: 1300 }, (_, i) => `zq${i}`)
    const query = `${filler.join(' ')} refunds`
    expect(query.length).toBeLessThanOrEqual(8000)
    const res = await search(agent.id, { query, mode: 'keyword' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as SearchBody
    expect(body.results).toEqual([])
    expect(body.dropped_terms).toEqual([...filler.slice(MAX_SEARCH_WORDS), 'refunds'])
  })

  it('refuses a customer over its search rate with 429 in the envelope; other customers search on', async () => {
    const { agent } = await agentWithKnowledge()
    const { agent: neighbour } = await agentWithKnowledge()
    // Spend this customer's allowance straight on the binding (cheaper than 600 requests); the
    // binding's windows are fixed, so a request right at a window's end could find a fresh one: once more then.
    let res: Response | undefined
    for (let attempt = 0; attempt < 2 && res?.status !== 429; attempt++) {
      await spendSearchAllowance(agent.customerId)
      res = await search(agent.id, { query: 'how do refunds work' })
    }
    expect(res?.status).toBe(429)
    expect(res?.headers.get('Retry-After')).toBe(String(SEARCH_RATE_LIMIT.periodSeconds))
    const body = (await res?.json()) as { error: { code: string; message: string; request_id: string } }
    expect(body.error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: `Too many searches: at most ${SEARCH_RATE_LIMIT.searches} per ${SEARCH_RATE_LIMIT.periodSeconds} seconds for your account. Please try again in ${SEARCH_RATE_LIMIT.periodSeconds} seconds.`,
    })
    expect(body.error.request_id).toBeTruthy()
    expect((await search(neighbour.id, { query: 'how do refunds work' })).status).toBe(200)
  })
})

interface SearchBody {
  results: Array<{ content: string }>
  dropped_terms: string[]
}

/** Counts searches for the customer on the real (simulated) binding until it refuses one. */
async function spendSearchAllowance(customerId: string) {
  for (let i = 0; i <= 2 * SEARCH_RATE_LIMIT.searches; i++)
    if (!(await admitSearch(env.SEARCH_RATE_LIMITER, customerId)).admitted) return
  throw new Error('the search rate limiter never refused')
}
