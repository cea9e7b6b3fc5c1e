import { type SQL, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { Unavailable } from '../errors'
import { type EmbeddingsConfig, embedQuery, toVectorLiteral } from './embeddings'
import { searchTexts } from './search-query'

export const MAX_TOP_K = 50
export const SEARCH_MODES = ['hybrid', 'vector', 'keyword'] as const
export type SearchMode = (typeof SEARCH_MODES)[number]
/** Reciprocal-rank fusion constant (Cormack et al.); bench/retrieval compares other values. */
export const RRF_K = 60

export interface SearchResult {
  chunkId: string
  content: string
  /** vector: cosine similarity; keyword: share of the query's term weight in the chunk (0..1); hybrid: RRF. */
  score: number
  documentId: string
  documentTitle: string
  chunkIndex: number
  /** 1-based rank among the nearest chunks by embedding; null when not among them. */
  vectorRank: number | null
  /** 1-based rank among the chunks matching the query's words; null when not among them. */
  keywordRank: number | null
  /** HTML-escaped excerpt with the matched words in `<mark>`; null when the chunk is no keyword hit. */
  highlight: string | null
}

export interface SearchParams {
  db: Database
  config: EmbeddingsConfig
  kbId: string
  query: string
  mode?: SearchMode
  topK?: number
  /** Compared with the cosine similarity in vector and hybrid mode (hybrid: vector candidates only), the keyword score in keyword mode. */
  minScore?: number
  /** Defence in depth: only this customer's chunks, whatever the KB id says. */
  customerId?: string
  /** Skip the embeddings call (benchmarks and tests that bring their own vector). */
  queryEmbedding?: ArrayLike<number>
  /**
   * `auto`: one statement, the planner picks the HNSW index (with iterative scans) or the KB's
   * B-tree. `index`/`exact` force one side of the vector search, for benchmarks and tests.
   */
  plan?: 'auto' | 'index' | 'exact'
  rrfK?: number
}

export interface SearchStatementInput {
  kbId: string
  customerId?: string
  mode: SearchMode
  query: string
  /** pgvector literal; required unless mode is `keyword`. */
  vector?: string
  topK: number
  minScore: number
  exact?: boolean
  rrfK?: number
  /** Hybrid: weight of the keyword side's 1/(k + rank) (the vector side's is 1). */
  keywordWeight?: number
  /** Hybrid: keyword matches below this share of the best match's keyword score are no keyword hits. */
  keywordCutoff?: number
}

interface Row extends Record<string, unknown> {
  chunk_id: string
  content: string
  score: number | string
  document_id: string
  document_title: string
  chunk_index: number
  vector_rank: number | string | null
  keyword_rank: number | string | null
  highlight: string | null
}

// Private-use characters mark the hits inside ts_headline's output, so the excerpt can be
// HTML-escaped as a whole and the marks turned into <mark> afterwards.
const MARK_START = '\uE000'
const MARK_END = '\uE001'
const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`

/** Per side: the nearest chunks and the best keyword matches fused; enough to fill `topK` after collapsing neighbours. */
export const candidatesPerSide = (topK: number) => Math.min(200, Math.max(40, topK * 4))
/** Fused rows read back: each kept result can hide at most its two neighbours. */
const rowsToCollapse = (topK: number) => topK * 3
const TERM_COUNT_CAP = 2000
// Measured on the labelled set (bench/retrieval) with the local embedder: plain RRF (weight 1, no
// cutoff) fell below keyword search alone; a keyword side weighing twice the vector side, without
// its matches weaker than 0.3 x the best one, beat both single modes on every subset.
export const KEYWORD_WEIGHT = 2
export const KEYWORD_CUTOFF = 0.3

/**
 * The whole search as ONE statement: the KB's text search configuration and the parsed query
 * (the KB row also guards the customer), the vector top-N, the keyword top-N, fused by
 * reciprocal rank, best `3 x topK` rows with their highlights. Exposed for the benchmarks.
 */
export function searchStatement(p: SearchStatementInput): SQL {
  const texts = searchTexts(p.query)
  const n = candidatesPerSide(p.topK)
  const k = p.rrfK ?? RRF_K
  const useVector = p.mode !== 'keyword'
  const useKeyword = p.mode !== 'vector'
  const customer = (alias: string) => (p.customerId ? sql`AND ${sql.raw(alias)}.customer_id = ${p.customerId}` : sql``)
  const required = texts.required ? sql`AND c.search_vector @@ q.required` : sql``
  const efSearch = String(Math.min(1000, n))

  const ctes: SQL[] = [
    // set_config(..., true) lasts until the statement's own transaction ends; the vector side
    // reads q laterally, so these are set before its index scan starts.
    sql`q AS MATERIALIZED (
      SELECT kb.search_language AS language,
             websearch_to_tsquery(kb.search_language, ${texts.anyTerm}) AS any_term,
             websearch_to_tsquery(kb.search_language, ${texts.required}) AS required,
             set_config('hnsw.iterative_scan', 'relaxed_order', true) AS iterative_scan,
             set_config('hnsw.ef_search', ${efSearch}, true) AS ef_search
      FROM knowledge_bases kb
      WHERE kb.id = ${p.kbId} ${customer('kb')}
    )`,
  ]
  if (useVector) {
    const distance = sql`c.embedding <=> ${p.vector}::vector`
    // `+ 0` turns the ordering into an expression the HNSW index cannot serve: an exact scan.
    const order = p.exact ? sql`(${distance}) + 0` : distance
    ctes.push(sql`vector_hits AS (
      SELECT v.id, 1 - v.distance AS similarity, row_number() OVER (ORDER BY v.distance, v.id) AS rank
      FROM q CROSS JOIN LATERAL (
        SELECT c.id, ${distance} AS distance
        FROM document_chunks c
        JOIN knowledge_documents d ON d.id = c.document_id AND d.status = 'indexed'
        WHERE c.knowledge_base_id = ${p.kbId} AND c.embedding IS NOT NULL AND q.ef_search IS NOT NULL
          ${customer('c')} ${required}
        ORDER BY ${order}
        LIMIT ${n}
      ) v
      WHERE 1 - v.distance >= ${p.minScore}
    )`)
  }
  if (useKeyword) {
    // Each query term weighs its BM25 inverse document frequency in this KB,
    // ln(1 + (N - n + 0.5) / (n + 0.5)), with chunk counts taken up to a cap so that the cost
    // stays bounded: a term in one chunk outweighs a word most chunks have, which
    // PostgreSQL's own ranking (ts_rank_cd, kept as the tie-break) cannot tell.
    ctes.push(sql`terms AS (
      SELECT t.query, ln(1 + (kb_size.n - least(df.n, kb_size.n) + 0.5) / (least(df.n, kb_size.n) + 0.5)) AS weight
      FROM q
      CROSS JOIN (
        SELECT count(*)::float8 AS n FROM (
          SELECT 1 FROM document_chunks c WHERE c.knowledge_base_id = ${p.kbId} LIMIT ${TERM_COUNT_CAP}
        ) capped
      ) kb_size
      CROSS JOIN LATERAL (
        SELECT quote_literal(lexeme)::tsquery AS query
        FROM unnest(tsvector_to_array(to_tsvector(q.language, ${texts.termText}))) AS lexeme
        WHERE position(chr(92) in lexeme) = 0
      ) t
      CROSS JOIN LATERAL (
        SELECT count(*)::float8 AS n FROM (
          SELECT 1 FROM document_chunks c
          WHERE c.knowledge_base_id = ${p.kbId} AND c.search_vector @@ t.query
          LIMIT ${TERM_COUNT_CAP}
        ) capped
      ) df
    )`)
    // Keyword score: the share of the query's term weight found in the chunk (1: every term).
    // In hybrid mode a match with less than KEYWORD_CUTOFF x the best match's score is no keyword hit.
    ctes.push(sql`keyword_hits AS (
      SELECT r.id, r.keyword_score, r.rank
      FROM (
        SELECT m.id, m.keyword_score, max(m.keyword_score) OVER () AS best,
               row_number() OVER (ORDER BY m.keyword_score DESC, m.density DESC, m.id) AS rank
        FROM (
          SELECT c.id,
                 coalesce((SELECT sum(t.weight) FROM terms t WHERE c.search_vector @@ t.query), 0)
                   / coalesce(nullif((SELECT sum(t.weight) FROM terms t), 0), 1) AS keyword_score,
                 ts_rank_cd(c.search_vector, q.any_term) AS density
          FROM q
          JOIN document_chunks c ON c.search_vector @@ q.any_term
          JOIN knowledge_documents d ON d.id = c.document_id AND d.status = 'indexed'
          WHERE c.knowledge_base_id = ${p.kbId} ${customer('c')} ${required}
          ORDER BY keyword_score DESC, density DESC, c.id
          LIMIT ${n}
        ) m
      ) r
      WHERE ${p.mode === 'keyword' ? sql`r.keyword_score >= ${p.minScore}` : sql`r.keyword_score >= ${p.keywordCutoff ?? KEYWORD_CUTOFF} * r.best`}
    )`)
  }
  const fused =
    p.mode === 'hybrid'
      ? sql`SELECT coalesce(v.id, kw.id) AS id, v.rank AS vector_rank, kw.rank AS keyword_rank,
               coalesce(1.0 / (${k} + v.rank), 0) + coalesce(${p.keywordWeight ?? KEYWORD_WEIGHT}::float8 / (${k} + kw.rank), 0) AS score
            FROM vector_hits v FULL JOIN keyword_hits kw ON kw.id = v.id`
      : p.mode === 'vector'
        ? sql`SELECT id, rank AS vector_rank, NULL::bigint AS keyword_rank, similarity AS score FROM vector_hits`
        : sql`SELECT id, NULL::bigint AS vector_rank, rank AS keyword_rank, keyword_score AS score FROM keyword_hits`

  return sql`
    WITH ${sql.join(ctes, sql`, `)},
    best AS (
      SELECT * FROM (${fused}) f
      ORDER BY f.score DESC, f.keyword_rank NULLS LAST, f.vector_rank NULLS LAST, f.id
      LIMIT ${rowsToCollapse(p.topK)}
    )
    SELECT c.id AS chunk_id, c.content, c.chunk_index, c.document_id, d.title AS document_title,
           b.score, b.vector_rank, b.keyword_rank,
           CASE WHEN b.keyword_rank IS NOT NULL THEN
             ts_headline(q.language, translate(c.content, chr(57344) || chr(57345), ''), q.any_term, ${HEADLINE_OPTIONS})
           END AS highlight
    FROM best b
    JOIN document_chunks c ON c.id = b.id
    JOIN knowledge_documents d ON d.id = c.document_id
    CROSS JOIN q
    ORDER BY b.score DESC, b.keyword_rank NULLS LAST, b.vector_rank NULLS LAST, b.id`
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)

/** ts_headline's excerpt as safe HTML: everything escaped, the hits in `<mark>`. */
export function highlightHtml(headline: string): string {
  return escapeHtml(headline.replace(/\s+/g, ' ').trim())
    .replaceAll(MARK_START, '<mark>')
    .replaceAll(MARK_END, '</mark>')
}

const rank = (value: number | string | null) => (value === null ? null : Number(value))

/**
 * The statement's rows (best first) as results: at most `topK`, and never two neighbouring
 * chunks of one document (they share the chunker's 50-token overlap), so each is its own passage.
 */
export function collapseResults(rows: Row[], topK: number): SearchResult[] {
  const taken = new Map<string, Set<number>>()
  const results: SearchResult[] = []
  for (const r of rows) {
    if (results.length === topK) break
    const chunkIndex = Number(r.chunk_index)
    const indexes = taken.get(r.document_id) ?? new Set<number>()
    if (indexes.has(chunkIndex - 1) || indexes.has(chunkIndex + 1) || indexes.has(chunkIndex)) continue
    indexes.add(chunkIndex)
    taken.set(r.document_id, indexes)
    results.push({
      chunkId: r.chunk_id,
      content: r.content,
      score: Number(r.score),
      documentId: r.document_id,
      documentTitle: r.document_title,
      chunkIndex,
      vectorRank: rank(r.vector_rank),
      keywordRank: rank(r.keyword_rank),
      highlight: r.highlight === null ? null : highlightHtml(r.highlight),
    })
  }
  return results
}

async function embedSearchQuery(config: EmbeddingsConfig, query: string) {
  try {
    return await embedQuery(config, query)
  } catch (error) {
    throw new Unavailable('The embeddings service is unavailable; try again shortly', { cause: error })
  }
}

/**
 * Searches the knowledge base's indexed documents in one SQL statement: `hybrid` (default) fuses
 * the nearest chunks by embedding and the best keyword matches (`websearch_to_tsquery`: quotes,
 * `-words`) by reciprocal rank; `vector` and `keyword` use one side. Best first, at most `topK`.
 */
export async function searchKnowledgeBase(params: SearchParams): Promise<SearchResult[]> {
  const topK = Math.min(Math.max(Math.trunc(params.topK ?? 5), 1), MAX_TOP_K)
  const mode = params.mode ?? 'hybrid'
  const plan = params.plan ?? 'auto'
  const embedding =
    mode === 'keyword'
      ? undefined
      : (params.queryEmbedding ?? (await embedSearchQuery(params.config, searchTexts(params.query).embedText)))
  const statement = searchStatement({
    kbId: params.kbId,
    customerId: params.customerId,
    mode,
    query: params.query,
    vector: embedding ? toVectorLiteral(embedding) : undefined,
    topK,
    minScore: params.minScore ?? 0,
    exact: plan === 'exact',
    rrfK: params.rrfK,
  })
  const rows =
    plan === 'index'
      ? await params.db.transaction(async (tx) => {
          // Planner settings must be in place before the statement is planned: a separate statement.
          await tx.execute(sql`SET LOCAL enable_sort = off`)
          return (await tx.execute<Row>(statement)).rows
        })
      : (await params.db.execute<Row>(statement)).rows
  return collapseResults(rows, topK)
}
