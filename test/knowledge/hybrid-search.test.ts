import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { knowledgeDocuments } from '../../src/db/schema'
import { updateKnowledgeBase } from '../../src/knowledge/knowledge-bases'
import { SEARCH_MODES, type SearchMode, searchKnowledgeBase } from '../../src/knowledge/search'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories } from '../support/factories'
import { queryEmbedding } from '../support/knowledge'

const ALL_MODES = SEARCH_MODES

/** A knowledge base whose chunks carry the local embedder's real vectors, as processing stores them. */
async function setup() {
  const handle = testDb()
  const { db } = handle
  const f = factories(db)
  const kb = await f.knowledgeBase()
  const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
  let next = 0
  const chunk = async (content: string, o: { documentId?: string; chunkIndex?: number } = {}) => {
    next += 10
    return f.documentChunk({
      documentId: o.documentId ?? doc.id,
      content,
      // Far apart by default: neighbouring chunks of one document collapse into one result.
      chunkIndex: o.chunkIndex ?? next,
      embedding: Array.from(await queryEmbedding(content)),
    })
  }
  const search = (query: string, mode: SearchMode, o: { topK?: number; minScore?: number } = {}) =>
    searchKnowledgeBase({ db, config: testConfig(), kbId: kb.id, customerId: kb.customerId, query, mode, ...o })
  const contents = async (query: string, mode: SearchMode, o: { topK?: number } = {}) =>
    (await search(query, mode, o)).map((r) => r.content)
  return { handle, db, f, kb, doc, chunk, search, contents }
}

describe('hybrid search', () => {
  it('a term found in exactly one chunk makes that chunk the top hit in hybrid and keyword mode', async () => {
    const { chunk, search } = await setup()
    // Closer to the question by embedding: they share its every other word.
    for (let i = 0; i < 6; i++)
      await chunk(`How do I reset the device? Reset the device from the settings menu, step ${i}.`)
    const unique = await chunk('Holding the side button for ten seconds clears the Zorbulator 3000 memory.')
    for (const mode of ['hybrid', 'keyword'] as const) {
      const results = await search('How do I reset the Zorbulator?', mode)
      expect(results[0]?.chunkId, mode).toBe(unique.id)
      expect(results[0]?.keywordRank, mode).toBe(1)
    }
    // The embedding alone ranks it below the chunks that share the question's common words.
    const vector = await search('How do I reset the Zorbulator?', 'vector')
    expect(vector[0]?.chunkId).not.toBe(unique.id)
    expect(vector.find((r) => r.chunkId === unique.id)?.keywordRank ?? null).toBeNull()
  })

  it('says why each result matched: ranks on each side, fused score, highlight of the keyword hits', async () => {
    const { chunk, search } = await setup()
    const both = await chunk('Refunds are paid within 14 days of the return arriving at our warehouse.')
    await chunk('Opening hours: nine to five on weekdays.')
    const [top, ...rest] = await search('refund warehouse', 'hybrid')
    expect(top).toMatchObject({ chunkId: both.id, vectorRank: 1, keywordRank: 1 })
    expect(top!.score).toBeCloseTo(1 / 61 + 2 / 61, 6)
    expect(top!.highlight).toContain('<mark>Refunds</mark>')
    expect(top!.highlight).toContain('<mark>warehouse</mark>')
    const vectorOnly = rest.find((r) => r.keywordRank === null)
    expect(vectorOnly?.highlight).toBeNull()
    expect(vectorOnly?.score).toBeCloseTo(1 / 62, 6)
  })

  it('escapes the highlight: only <mark> is markup', async () => {
    const { chunk, search } = await setup()
    await chunk('Paste <script>alert("pwned")</script> into the console & check that 2 < 3 to debug.')
    const [result] = await search('console debug', 'keyword')
    expect(result!.highlight).toContain('&lt; 3')
    expect(result!.highlight).toContain('&amp;')
    expect(result!.highlight).not.toContain('<script>')
    expect(result!.highlight!.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/)
  })

  it('"quoted phrases" must appear as a phrase, in every mode', async () => {
    const { chunk, contents } = await setup()
    await chunk('Reset password links expire after one hour.')
    await chunk('A password manager can reset itself when the vault is locked.')
    for (const mode of ALL_MODES) {
      expect(await contents('"reset password"', mode), mode).toEqual(['Reset password links expire after one hour.'])
    }
    // Unquoted, both words anywhere will do.
    expect(await contents('reset password', 'keyword')).toHaveLength(2)
  })

  it('-words leave out every chunk that holds them, in every mode', async () => {
    const { chunk, contents } = await setup()
    await chunk('Reset password links expire after one hour.')
    await chunk('A password manager can reset itself when the vault is locked.')
    for (const mode of ALL_MODES) {
      expect(await contents('reset password -manager', mode), mode).toEqual([
        'Reset password links expire after one hour.',
      ])
      expect(await contents('reset password -"one hour"', mode), mode).toEqual([
        'A password manager can reset itself when the vault is locked.',
      ])
    }
  })

  it("never returns another customer's matching chunk, in any mode", async () => {
    const { f, kb, chunk, search } = await setup()
    const ours = await chunk('The warranty covers water damage for two years.')
    const otherKb = await f.knowledgeBase()
    const otherDoc = await f.knowledgeDocument({ knowledgeBaseId: otherKb.id, status: 'indexed' })
    const text = 'Warranty water damage: the warranty covers water damage.'
    const theirs = await chunk(text, { documentId: otherDoc.id })
    for (const mode of ALL_MODES) {
      expect(
        (await search('warranty water damage', mode)).map((r) => r.chunkId),
        mode,
      ).toEqual([ours.id])
      // Handed the other customer's KB id with our customer id: nothing, not their chunk.
      const viaTheirKb = await searchKnowledgeBase({
        db: testDb().db,
        config: testConfig(),
        kbId: otherKb.id,
        customerId: kb.customerId,
        query: 'warranty water damage',
        mode,
      })
      expect(viaTheirKb, mode).toEqual([])
    }
    expect(theirs.customerId).not.toBe(kb.customerId)
  })

  it('never returns chunks of deleted or not-yet-indexed documents, in any mode', async () => {
    const { db, f, kb, chunk, contents } = await setup()
    for (const status of ['pending', 'processing', 'error'] as const) {
      const doc = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status })
      await chunk(`Quarterly invoice schedule (${status}).`, { documentId: doc.id })
    }
    const deleted = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
    await chunk('Quarterly invoice schedule (deleted).', { documentId: deleted.id })
    await db.delete(knowledgeDocuments).where(eq(knowledgeDocuments.id, deleted.id))
    await chunk('Quarterly invoice schedule (indexed).')
    for (const mode of ALL_MODES) {
      expect(await contents('quarterly invoice schedule', mode), mode).toEqual([
        'Quarterly invoice schedule (indexed).',
      ])
    }
  })

  it('collapses neighbouring chunks of one document: the top five are five different passages', async () => {
    const { f, kb, doc, chunk, search } = await setup()
    // Ten consecutive chunks that all match, as a long document about one subject gives.
    for (let i = 0; i < 10; i++) await chunk(`Invoices and invoice numbers, part ${i}.`, { chunkIndex: i })
    const other = await f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
    await chunk('Invoices are numbered per year.', { documentId: other.id, chunkIndex: 0 })
    for (const mode of ALL_MODES) {
      const results = await search('invoice numbers', mode, { topK: 5 })
      expect(results, mode).toHaveLength(5)
      const indexes = results.filter((r) => r.documentId === doc.id).map((r) => r.chunkIndex)
      for (const i of indexes) expect(indexes, mode).not.toContain(i + 1)
    }
  })

  it('sends exactly one SQL statement per search, in every mode', async () => {
    const { handle, chunk, search } = await setup()
    await chunk('Shipping is free above fifty euros.')
    for (const mode of ALL_MODES) {
      const before = handle.stats.statements
      expect(await search('free shipping', mode), mode).toHaveLength(1)
      expect(handle.stats.statements - before, mode).toBe(1)
    }
  })

  it('min_score: cosine similarity in vector and hybrid mode (vector side only), keyword score in keyword mode', async () => {
    const { chunk, search } = await setup()
    await chunk('Gift cards never expire.')
    const strict = { minScore: 0.99 }
    expect(await search('gift cards', 'vector', strict)).toEqual([])
    // A keyword match stays in hybrid whatever its similarity.
    expect((await search('gift cards', 'hybrid', strict)).map((r) => [r.vectorRank, r.keywordRank])).toEqual([
      [null, 1],
    ])
    // Keyword score: the share of the query's term weight in the chunk (1: every term).
    expect(await search('gift cards', 'keyword', { minScore: 0.9 })).toHaveLength(1)
    expect(await search('gift vouchers', 'keyword', { minScore: 0.9 })).toEqual([])
    const [partial] = await search('gift vouchers', 'keyword')
    // The missing word is rarer than the one found (in no chunk at all), so it weighs more.
    expect(partial!.score).toBeGreaterThan(0)
    expect(partial!.score).toBeLessThan(0.5)
  })

  it("matches word forms in the knowledge base's language; a new language re-analyses its chunks", async () => {
    const { db, kb, chunk, contents } = await setup()
    await chunk('We refunded every order that arrived damaged.')
    expect(await contents('refunds', 'keyword')).toHaveLength(1)
    await updateKnowledgeBase(db, kb.customerId, kb.id, { name: kb.name, searchLanguage: 'simple' })
    expect(await contents('refunds', 'keyword')).toEqual([])
    expect(await contents('refunded', 'keyword')).toHaveLength(1)
    // The stop words english drops are ordinary words in simple.
    expect(await contents('every', 'keyword')).toHaveLength(1)
    await updateKnowledgeBase(db, kb.customerId, kb.id, { name: kb.name, searchLanguage: 'english' })
    expect(await contents('refunds', 'keyword')).toHaveLength(1)
  })
})
