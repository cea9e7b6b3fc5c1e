// Retrieval quality on a labelled set: real documents (bench/retrieval/corpus, see SOURCES.md)
// extracted, chunked and embedded as processing does (local embedder), then every question of
// questions.json searched in vector, keyword and hybrid mode with the app's own search statement.
// A result is a hit when it is a chunk of the labelled document holding the labelled passage.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import type { Sql } from 'postgres'
import { embedLocally } from '../../scripts/local-embeddings.ts'
import { knowledgeModules } from '../knowledge/modules.ts'

const here = new URL('.', import.meta.url).pathname
const CORPUS = `${here}corpus/`
const TOP_K = 10
/** `BENCH_RETRIEVAL_DEBUG=hybrid,keyword`: print the rows before collapsing for those variants. */
const DEBUG = process.env.BENCH_RETRIEVAL_DEBUG?.split(',') ?? []

export interface Question {
  id: string
  subset: 'lexical' | 'paraphrased'
  question: string
  document: string
  passage: string
}

type Mode = 'vector' | 'keyword' | 'hybrid'

export interface Variant {
  label: string
  mode: Mode
  rrfK?: number
  keywordWeight?: number
  keywordCutoff?: number
}

export interface VariantScore {
  label: string
  subset: string
  questions: number
  recallAt5: number
  mrrAt10: number
  misses: string[]
}

/** Lowercase letters and digits only: the passage matches whatever markup extraction removed. */
const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()

const stableUuid = (key: string) => {
  const hex = createHash('sha256').update(key).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const TYPE_BY_EXTENSION: Record<string, 'md' | 'html' | 'txt'> = { md: 'md', html: 'html', txt: 'txt' }

export async function loadQuestions(): Promise<Question[]> {
  return JSON.parse(await readFile(`${here}questions.json`, 'utf8')) as Question[]
}

export interface LabelledCorpus {
  customerId: string
  kbId: string
  chunks: number
  /** chunk id → document file name and normalised content. */
  chunkText: Map<string, { document: string; text: string }>
}

/** Inserts the corpus as one knowledge base of indexed documents, chunked and embedded like processDocument. */
export async function insertCorpus(sql: Sql): Promise<LabelledCorpus> {
  const m = await knowledgeModules()
  const [customer] = await sql`
    insert into customers (name, slug, email) values ('Bench retrieval', ${`bench-retrieval-${Date.now()}`}, 'bench-retrieval@example.com')
    returning id`
  const customerId = customer!.id as string
  const [kb] =
    await sql`insert into knowledge_bases (customer_id, name) values (${customerId}, 'Labelled corpus') returning id`
  const kbId = kb!.id as string
  const chunkText = new Map<string, { document: string; text: string }>()
  for (const file of (await readdir(CORPUS)).filter((f) => f !== 'SOURCES.md').sort()) {
    const type = TYPE_BY_EXTENSION[file.split('.').pop() ?? '']
    if (!type) continue
    const text = await m.extractText(type, new Uint8Array(await readFile(`${CORPUS}${file}`)))
    const chunks = m.chunkText(text)
    const [doc] = await sql`
      insert into knowledge_documents (knowledge_base_id, customer_id, title, status, content_type, chunk_count)
      values (${kbId}, ${customerId}, ${file}, 'indexed', 'text/plain', ${chunks.length}) returning id`
    const rows = chunks.map((c, i) => ({
      // Ids from the file and position: ties in ranking break by id, so every run ranks alike.
      id: stableUuid(`${file}#${i}`),
      document_id: doc!.id as string,
      customer_id: customerId,
      knowledge_base_id: kbId,
      content: c.content,
      chunk_index: i,
      token_count: c.tokenCount,
      embedding: m.toVectorLiteral(embedLocally(c.content)),
    }))
    for (let i = 0; i < rows.length; i += 100) {
      const inserted = await sql`insert into document_chunks ${sql(rows.slice(i, i + 100))} returning id, content`
      for (const r of inserted) chunkText.set(r.id as string, { document: file, text: normalise(r.content as string) })
    }
  }
  await sql`analyze document_chunks`
  return { customerId, kbId, chunks: chunkText.size, chunkText }
}

/** Every labelled passage must be in some chunk of its document, or the label is wrong. */
export function checkLabels(corpus: LabelledCorpus, questions: Question[]): void {
  const wrong = questions.filter(
    (q) =>
      ![...corpus.chunkText.values()].some((c) => c.document === q.document && c.text.includes(normalise(q.passage))),
  )
  if (wrong.length > 0) throw new Error(`Labelled passages not found in their documents: ${wrong.map((q) => q.id)}`)
}

/** Runs the app's own search statement (searchStatement + collapseResults) for one question. */
export async function searchOnce(
  sql: Sql,
  corpus: LabelledCorpus,
  variant: Variant,
  query: string,
  topK = TOP_K,
): Promise<string[]> {
  const m = await knowledgeModules()
  const vector =
    variant.mode === 'keyword' ? undefined : m.toVectorLiteral(embedLocally(m.searchTexts(query).embedText))
  const statement = m.searchStatement({
    kbId: corpus.kbId,
    customerId: corpus.customerId,
    mode: variant.mode,
    query,
    vector,
    topK,
    minScore: 0,
    rrfK: variant.rrfK,
    keywordWeight: variant.keywordWeight,
    keywordCutoff: variant.keywordCutoff,
  })
  const { sql: text, params } = new m.PgDialect().sqlToQuery(statement)
  const rows = await sql.unsafe(text, params as never[])
  if (DEBUG.includes(variant.label)) {
    for (const r of rows.slice(0, 8)) {
      const chunk = corpus.chunkText.get(r.chunk_id as string)
      console.log(
        `  ${variant.label} | ${query} | ${chunk?.document}#${r.chunk_index} v${r.vector_rank} k${r.keyword_rank} ${Number(r.score).toFixed(4)}`,
      )
    }
  }
  return m.collapseResults(rows as never, topK).map((r) => r.chunkId)
}

export async function scoreVariant(
  sql: Sql,
  corpus: LabelledCorpus,
  questions: Question[],
  variant: Variant,
): Promise<VariantScore[]> {
  const perQuestion: Array<{ q: Question; rank: number | null }> = []
  for (const q of questions) {
    const ids = await searchOnce(sql, corpus, variant, q.question)
    const passage = normalise(q.passage)
    const index = ids.findIndex((id) => {
      const chunk = corpus.chunkText.get(id)
      return chunk?.document === q.document && chunk.text.includes(passage)
    })
    perQuestion.push({ q, rank: index === -1 ? null : index + 1 })
  }
  const subsets = ['all', 'lexical', 'paraphrased']
  return subsets.map((subset) => {
    const rows = perQuestion.filter((r) => subset === 'all' || r.q.subset === subset)
    return {
      label: variant.label,
      subset,
      questions: rows.length,
      recallAt5: rows.filter((r) => r.rank !== null && r.rank <= 5).length / rows.length,
      mrrAt10: rows.reduce((s, r) => s + (r.rank === null ? 0 : 1 / r.rank), 0) / rows.length,
      misses: rows.filter((r) => r.rank === null || r.rank > 5).map((r) => r.q.id),
    }
  })
}

export const VARIANTS: Variant[] = [
  { label: 'vector', mode: 'vector' },
  { label: 'keyword', mode: 'keyword' },
  { label: 'hybrid', mode: 'hybrid' },
  { label: 'hybrid, plain RRF (weights 1:1, no cutoff)', mode: 'hybrid', keywordWeight: 1, keywordCutoff: 0 },
  { label: 'hybrid, keyword weight 1', mode: 'hybrid', keywordWeight: 1 },
  { label: 'hybrid, no keyword cutoff', mode: 'hybrid', keywordCutoff: 0 },
  { label: 'hybrid, RRF k=10', mode: 'hybrid', rrfK: 10 },
  { label: 'hybrid, RRF k=100', mode: 'hybrid', rrfK: 100 },
]

/** All variants with the KB's language `english` (the default), then keyword and hybrid with `simple`. */
export async function measureLabelled(sql: Sql) {
  const questions = await loadQuestions()
  const corpus = await insertCorpus(sql)
  try {
    checkLabels(corpus, questions)
    const scores: VariantScore[] = []
    for (const variant of VARIANTS) scores.push(...(await scoreVariant(sql, corpus, questions, variant)))
    await sql`update knowledge_bases set search_language = 'simple' where id = ${corpus.kbId}`
    await sql`update document_chunks set search_language = 'simple' where knowledge_base_id = ${corpus.kbId}`
    for (const variant of VARIANTS.slice(1, 3)) {
      scores.push(...(await scoreVariant(sql, corpus, questions, { ...variant, label: `${variant.label}, simple` })))
    }
    return { questions: questions.length, chunks: corpus.chunks, scores }
  } finally {
    await sql`delete from customers where id = ${corpus.customerId}`
  }
}
