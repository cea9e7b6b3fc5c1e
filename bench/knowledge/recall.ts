// Recall@10 of the HNSW search (iterative scans, KB filter) against an exact scan, on 20,000
// chunks over 20 knowledge bases, searching one of them; and how long each takes.
import type { Sql } from 'postgres'
import { embedLocally } from '../../scripts/local-embeddings.ts'
import { proseText, seededRandom, vocabulary } from './corpus.ts'

const KNOWLEDGE_BASES = 20
/** 20,000 chunks by default (the issue's floor); `BENCH_KNOWLEDGE_CHUNKS` lowers it for a quick look. */
export const CHUNKS_PER_KB = Math.max(50, Math.floor(Number(process.env.BENCH_KNOWLEDGE_CHUNKS ?? 20_000) / 20))
const QUERIES = 40
const TOP_K = 10
const SEARCHED_KB = 7
const ROWS_PER_INSERT = 100

const vectorText = (v: Float32Array) => `[${Array.from(v, (x) => x.toPrecision(7)).join(',')}]`

export interface Fixture {
  customerId: string
  kbIds: string[]
  /** Including the HNSW index's upkeep. */
  insertMs: number
}

/** 20 knowledge bases of 1,000 chunks each (local-embedder vectors of topic-flavoured prose). */
export async function insertFixture(sql: Sql): Promise<Fixture> {
  const [customer] = await sql`
    insert into customers (name, slug, email) values ('Bench knowledge', ${`bench-knowledge-${Date.now()}`}, 'bench-knowledge@example.com')
    returning id`
  const customerId = customer!.id as string
  const kbIds: string[] = []
  const docIds: string[] = []
  for (let k = 0; k < KNOWLEDGE_BASES; k++) {
    const [kb] =
      await sql`insert into knowledge_bases (customer_id, name) values (${customerId}, ${`Bench KB ${k}`}) returning id`
    const [doc] = await sql`
      insert into knowledge_documents (knowledge_base_id, customer_id, title, status, content_type)
      values (${kb!.id}, ${customerId}, ${`Bench doc ${k}`}, 'indexed', 'text/plain') returning id`
    kbIds.push(kb!.id as string)
    docIds.push(doc!.id as string)
  }
  // The HNSW index stays: it grows with every insert, as in production. Rebuilding it afterwards
  // would be one statement of minutes in WASM PGlite, longer than its socket's idle timeout.
  const started = performance.now()
  const random = seededRandom(42)
  const topics = Array.from({ length: KNOWLEDGE_BASES }, (_, k) => vocabulary(150, seededRandom(500 + k)))
  const total = KNOWLEDGE_BASES * CHUNKS_PER_KB
  let previous: Promise<unknown> = Promise.resolve()
  for (let start = 0; start < total; start += ROWS_PER_INSERT) {
    const rows: string[] = []
    // Knowledge bases interleaved, as real uploads arrive; the next batch is made while one is written.
    for (let n = start; n < Math.min(start + ROWS_PER_INSERT, total); n++) {
      const k = n % KNOWLEDGE_BASES
      const content = proseText(60, Math.floor(random() * 1e9), topics[k])
      rows.push(
        `('${docIds[k]}','${customerId}','${kbIds[k]}','${content.replace(/'/g, "''")}',${Math.floor(n / KNOWLEDGE_BASES)},60,'${vectorText(embedLocally(content))}')`,
      )
    }
    await previous
    previous = sql
      .unsafe(
        `insert into document_chunks (document_id, customer_id, knowledge_base_id, content, chunk_index, token_count, embedding) values ${rows.join(',')}`,
      )
      .execute()
  }
  await previous
  const insertMs = performance.now() - started
  await sql`analyze document_chunks`
  return { customerId, kbIds, insertMs }
}

const NEAREST = (exact: boolean) => `
  select c.id from document_chunks c
  join knowledge_documents d on d.id = c.document_id and d.status = 'indexed'
  where c.knowledge_base_id = $1 and c.embedding is not null
  order by ${exact ? '(c.embedding <=> $2::vector) + 0' : 'c.embedding <=> $2::vector'}
  limit ${TOP_K}`

export interface RecallResult {
  /** Per `hnsw.ef_search`: recall@10 against the exact scan and mean latency. */
  hnsw: Array<{ efSearch: number; recallAt10: number; meanMs: number }>
  exactMeanMs: number
  autoPlanUsesHnsw: boolean
  tableChunks: number
}

/** The same SQL as searchKnowledgeBase: `index` forces the HNSW side, `exact` the scan. */
export async function measureRecall(sql: Sql, fixture: Fixture): Promise<RecallResult> {
  const kbId = fixture.kbIds[SEARCHED_KB]!
  const topic = vocabulary(150, seededRandom(500 + SEARCHED_KB))
  const queries = Array.from({ length: QUERIES }, (_, i) => vectorText(embedLocally(proseText(12, 9000 + i, topic))))
  const viaIndex = async (q: string, efSearch: number) =>
    sql.begin(async (tx) => {
      await tx`set local hnsw.iterative_scan = relaxed_order`
      await tx.unsafe(`set local hnsw.ef_search = ${efSearch}`)
      await tx`set local enable_sort = off`
      return (await tx.unsafe(NEAREST(false), [kbId, q])).map((r) => r.id as string)
    })
  const exact = async (q: string) => (await sql.unsafe(NEAREST(true), [kbId, q])).map((r) => r.id as string)
  const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now()
    const value = await run()
    return [value, performance.now() - t]
  }
  await exact(queries[0]!)
  const truths: Array<Set<string>> = []
  let exactMs = 0
  for (const q of queries) {
    const [truth, ms] = await timed(() => exact(q))
    truths.push(new Set(truth))
    exactMs += ms
  }
  const hnsw: RecallResult['hnsw'] = []
  // 40 is what searchKnowledgeBase uses for top_k 10 (max(40, 4 x top_k)).
  for (const efSearch of [40, 100]) {
    await viaIndex(queries[0]!, efSearch)
    let hits = 0
    let totalMs = 0
    for (const [i, q] of queries.entries()) {
      const [approx, ms] = await timed(() => viaIndex(q, efSearch))
      totalMs += ms
      const truth = truths[i]!
      hits += approx.filter((id) => truth.has(id)).length / Math.max(1, truth.size)
    }
    hnsw.push({ efSearch, recallAt10: hits / queries.length, meanMs: totalMs / queries.length })
  }
  const plan = await sql.begin(async (tx) => {
    await tx`set local hnsw.iterative_scan = relaxed_order`
    return tx.unsafe(`explain ${NEAREST(false)}`, [kbId, queries[0]!])
  })
  const [{ count }] = (await sql`select count(*)::int as count from document_chunks`) as unknown as [{ count: number }]
  return {
    hnsw,
    exactMeanMs: exactMs / queries.length,
    autoPlanUsesHnsw: plan.some((r) => String(Object.values(r)[0]).includes('document_chunks_embedding_hnsw')),
    tableChunks: count,
  }
}

export interface ModeLatency {
  mode: 'vector' | 'keyword' | 'hybrid'
  requests: number
  p50: number
  p99: number
  meanResults: number
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/**
 * `POST /api/internal/knowledge/search` end to end through the Worker (auth, query embedding by
 * the local embedder, the one search statement) for an agent on the searched KB, one request at
 * a time, per mode: 40 topic queries x 3 rounds after a warm-up round.
 */
export async function measureSearchLatency(
  sql: Sql,
  fixture: Fixture,
  baseUrl: string,
  serviceSecret: string,
): Promise<ModeLatency[]> {
  const kbId = fixture.kbIds[SEARCHED_KB]!
  const [type] = await sql`
    insert into agent_types (name, slug, system_prompt_template)
    values ('Bench search', ${`bench-search-${Date.now()}`}, 'You help.') returning id`
  try {
    const [agent] = await sql`
      insert into agent_instances (customer_id, agent_type_id, name, configuration, knowledge_base_id, api_key_prefix, api_key_hash)
      values (${fixture.customerId}, ${type!.id}, 'Bench search agent', ${sql.json({})}, ${kbId},
              ${`efk_benchsearch${Date.now()}`}, ${'0'.repeat(64)})
      returning id`
    const topic = vocabulary(150, seededRandom(500 + SEARCHED_KB))
    const queries = Array.from({ length: QUERIES }, (_, i) => proseText(8, 7000 + i, topic))
    const search = async (query: string, mode: ModeLatency['mode']) => {
      const res = await fetch(`${baseUrl}/api/internal/knowledge/search`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${serviceSecret}`,
          'X-Agent-Instance-ID': agent!.id as string,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ query, mode, top_k: 5 }),
      })
      if (!res.ok) throw new Error(`search answered ${res.status}: ${await res.text()}`)
      return ((await res.json()) as { results: unknown[] }).results.length
    }
    const out: ModeLatency[] = []
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      for (const q of queries.slice(0, 10)) await search(q, mode)
      const times: number[] = []
      let results = 0
      for (let round = 0; round < 3; round++) {
        for (const q of queries) {
          const started = performance.now()
          results += await search(q, mode)
          times.push(performance.now() - started)
        }
      }
      times.sort((a, b) => a - b)
      out.push({
        mode,
        requests: times.length,
        p50: percentile(times, 0.5),
        p99: percentile(times, 0.99),
        meanResults: results / times.length,
      })
    }
    return out
  } finally {
    await sql`delete from agent_instances where agent_type_id = ${type!.id}`
    await sql`delete from agent_types where id = ${type!.id}`
  }
}
