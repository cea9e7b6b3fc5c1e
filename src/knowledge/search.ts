import { sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { AppError } from '../errors'
import { type EmbeddingsConfig, embedQuery, toVectorLiteral } from './embeddings'

export const MAX_TOP_K = 50

export interface SearchResult {
  chunkId: string
  content: string
  score: number
  documentId: string
  documentTitle: string
  chunkIndex: number
}

export interface SearchParams {
  db: Database
  config: EmbeddingsConfig
  kbId: string
  query: string
  topK?: number
  minScore?: number
  /** Defence in depth: only this customer's chunks, whatever the KB id says. */
  customerId?: string
  /** Skip the embeddings call (benchmarks and tests that bring their own vector). */
  queryEmbedding?: ArrayLike<number>
  /**
   * `auto`: the planner picks the HNSW index (with iterative scans) or the KB's B-tree, and an
   * exact scan tops up a short answer. `index`/`exact` force one side, for benchmarks.
   */
  plan?: 'auto' | 'index' | 'exact'
}

interface Row extends Record<string, unknown> {
  chunk_id: string
  content: string
  score: number | string
  document_id: string
  document_title: string
  chunk_index: number
}

const toResult = (r: Row): SearchResult => ({
  chunkId: r.chunk_id,
  content: r.content,
  score: Number(r.score),
  documentId: r.document_id,
  documentTitle: r.document_title,
  chunkIndex: r.chunk_index,
})

function nearestChunks(p: { kbId: string; vector: string; limit: number; customerId?: string; exact: boolean }) {
  const customer = p.customerId ? sql`AND c.customer_id = ${p.customerId}` : sql``
  // The exact form orders by an expression the HNSW index cannot serve, so it scans the KB's rows.
  const order = p.exact ? sql`(c.embedding <=> ${p.vector}::vector) + 0` : sql`c.embedding <=> ${p.vector}::vector`
  return sql<Row>`
    SELECT c.id AS chunk_id, c.content, c.chunk_index, c.document_id, d.title AS document_title,
           1 - (c.embedding <=> ${p.vector}::vector) AS score
    FROM document_chunks c
    JOIN knowledge_documents d ON d.id = c.document_id AND d.status = 'indexed'
    WHERE c.knowledge_base_id = ${p.kbId} AND c.embedding IS NOT NULL ${customer}
    ORDER BY ${order}
    LIMIT ${p.limit}`
}

async function embedSearchQuery(config: EmbeddingsConfig, query: string) {
  try {
    return await embedQuery(config, query)
  } catch (error) {
    throw new AppError('SERVICE_UNAVAILABLE', 'The embeddings service is unavailable; try again shortly', {
      cause: error,
    })
  }
}

/**
 * Chunks of the knowledge base's indexed documents by cosine similarity (`1 - (embedding <=> query)`):
 * at most `topK`, none below `minScore`, best first.
 */
export async function searchKnowledgeBase(params: SearchParams): Promise<SearchResult[]> {
  const topK = Math.min(Math.max(Math.trunc(params.topK ?? 5), 1), MAX_TOP_K)
  const minScore = params.minScore ?? 0
  const plan = params.plan ?? 'auto'
  const vector = toVectorLiteral(params.queryEmbedding ?? (await embedSearchQuery(params.config, params.query)))
  const base = { kbId: params.kbId, vector, limit: topK, customerId: params.customerId }
  const efSearch = Math.min(1000, Math.max(40, topK * 4))

  let rows: Row[]
  if (plan === 'exact') {
    rows = (await params.db.execute<Row>(nearestChunks({ ...base, exact: true }))).rows
  } else {
    rows = await params.db.transaction(async (tx) => {
      // The KB filter applies after the index scan; iterative scans keep the scan going until
      // `topK` rows of this KB are found, so a KB that is a small part of the table still fills up.
      await tx.execute(sql`SET LOCAL hnsw.iterative_scan = relaxed_order`)
      await tx.execute(sql.raw(`SET LOCAL hnsw.ef_search = ${efSearch}`))
      if (plan === 'index') await tx.execute(sql`SET LOCAL enable_sort = off`)
      return (await tx.execute<Row>(nearestChunks({ ...base, exact: false }))).rows
    })
    // Iterative scans stop at hnsw.max_scan_tuples: a short answer may be incomplete, so check exactly.
    if (plan === 'auto' && rows.length < topK) {
      rows = (await params.db.execute<Row>(nearestChunks({ ...base, exact: true }))).rows
    }
  }
  return rows
    .map(toResult)
    .filter((r) => r.score >= minScore)
    .sort((a, b) => b.score - a.score)
}
