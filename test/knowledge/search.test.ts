import { describe, expect, it } from 'vitest'
import { documentChunks } from '../../src/db/schema'
import { type SearchMode, searchKnowledgeBase } from '../../src/knowledge/search'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories } from '../support/factories'
import { descendingChunks, queryEmbedding, scoredChunks, vectorWithScore } from '../support/knowledge'

async function setup() {
  const { db } = testDb()
  const f = factories(db)
  const kb = await f.knowledgeBase()
  const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
  const search = (
    query: string,
    o: { topK?: number; minScore?: number; kbId?: string; customerId?: string; mode?: SearchMode } = {},
  ) => searchKnowledgeBase({ db, config: testConfig(), kbId: o.kbId ?? kb.id, mode: 'vector', query, ...o })
  return { db, f, kb, doc, search }
}

describe('searchKnowledgeBase in vector mode (spec 5.3)', () => {
  it('returns chunks ordered by similarity, with score, document and chunk index', async () => {
    const { f, doc, search } = await setup()
    const q = await queryEmbedding('password reset help')
    await scoredChunks(f, doc.id, q, [
      { content: 'Company holiday schedule', chunkIndex: 5, score: 0.1 },
      { content: 'How to reset your password', chunkIndex: 1, score: 0.9 },
    ])
    const results = await search('password reset help', { topK: 5 })
    expect(results.map((r) => r.content)).toEqual(['How to reset your password', 'Company holiday schedule'])
    expect(results[0]).toMatchObject({ documentId: doc.id, documentTitle: doc.title, chunkIndex: 1 })
    expect(results[0]!.score).toBeCloseTo(0.9, 4)
    expect(results[1]!.score).toBeCloseTo(0.1, 4)
  })

  it('filters results below min_score', async () => {
    const { f, doc, search } = await setup()
    const q = await queryEmbedding('password reset')
    await scoredChunks(f, doc.id, q, [
      { content: 'Unrelated content', score: 0.3 },
      { content: 'Close enough', score: 0.85 },
    ])
    const results = await search('password reset', { topK: 5, minScore: 0.8 })
    expect(results.map((r) => r.content)).toEqual(['Close enough'])
    expect(await search('password reset', { topK: 5, minScore: 0.9 })).toEqual([])
  })

  it('returns at most top_k results, the best ones', async () => {
    const { f, doc, search } = await setup()
    const q = await queryEmbedding('test')
    await descendingChunks(f, doc.id, q, { label: 'Content', count: 10, best: 0.9, step: 0.05 })
    const results = await search('test', { topK: 3 })
    expect(results.map((r) => r.content)).toEqual(['Content 0', 'Content 1', 'Content 2'])
  })

  it('searches only chunks of indexed documents', async () => {
    const { f, kb, doc, search } = await setup()
    const q = await queryEmbedding('test')
    for (const status of ['pending', 'processing', 'error'] as const) {
      const other = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status })
      await f.documentChunk({ documentId: other.id, content: `${status} content`, embedding: vectorWithScore(q, 0.95) })
    }
    await f.documentChunk({ documentId: doc.id, content: 'Indexed content', embedding: vectorWithScore(q, 0.9) })
    const contents = (await search('test')).map((r) => r.content)
    expect(contents).toEqual(['Indexed content'])
  })

  it("never returns another customer's chunks", async () => {
    const { f, kb, doc, search } = await setup()
    const q = await queryEmbedding('shared secret sauce')
    const otherKb = await f.knowledgeBase()
    const otherDoc = await f.knowledgeDocument({ knowledgeBaseId: otherKb.id, status: 'indexed' })
    await f.documentChunk({ documentId: otherDoc.id, content: 'Theirs', embedding: vectorWithScore(q, 0.99) })
    await f.documentChunk({ documentId: doc.id, content: 'Ours', embedding: vectorWithScore(q, 0.5) })
    expect((await search('shared secret sauce')).map((r) => r.content)).toEqual(['Ours'])
    expect((await search('shared secret sauce', { kbId: otherKb.id })).map((r) => r.content)).toEqual(['Theirs'])
    // The customer guard holds even when handed another customer's KB id.
    expect(await search('shared secret sauce', { kbId: otherKb.id, customerId: kb.customerId })).toEqual([])
  })

  it('still returns top_k results when the KB is a small part of the table', async () => {
    const { db, f, kb, doc, search } = await setup()
    const q = await queryEmbedding('small kb needle')
    const bigKb = await f.knowledgeBase()
    const bigDoc = await f.knowledgeDocument({ knowledgeBaseId: bigKb.id, status: 'indexed' })
    // 200 chunks elsewhere, all closer to the query than any of ours.
    const rows = Array.from({ length: 200 }, (_, i) => ({
      documentId: bigDoc.id,
      customerId: bigDoc.customerId,
      knowledgeBaseId: bigKb.id,
      content: `Other ${i}`,
      chunkIndex: i,
      tokenCount: 3,
      embedding: vectorWithScore(q, 0.95 - i * 0.0001, i + 7),
    }))
    for (let i = 0; i < rows.length; i += 100) await db.insert(documentChunks).values(rows.slice(i, i + 100))
    await descendingChunks(f, doc.id, q, { label: 'Mine', count: 12, best: 0.6, step: 0.01 })
    const expected = Array.from({ length: 10 }, (_, i) => `Mine ${i}`)
    const results = await search('small kb needle', { topK: 10 })
    expect(results.map((r) => r.content)).toEqual(expected)
    // Through the HNSW index alone, iterative scans walk past the other KB's closer chunks.
    const viaIndex = await searchKnowledgeBase({
      db,
      config: testConfig(),
      kbId: kb.id,
      query: '',
      queryEmbedding: q,
      topK: 10,
      mode: 'vector',
      plan: 'index',
    })
    expect(viaIndex.map((r) => r.content)).toEqual(expected)
  }, 60_000)

  it('returns nothing for an empty knowledge base', async () => {
    const { search } = await setup()
    expect(await search('anything')).toEqual([])
  })
})
