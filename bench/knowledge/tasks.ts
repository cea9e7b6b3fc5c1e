// Work the benchmarks run in a fresh Node process each, so peak memory is this work's alone.

import { readFile, writeFile } from 'node:fs/promises'
import { TokenTextSplitter } from '@langchain/textsplitters'
import { Tiktoken } from 'js-tiktoken/lite'
import cl100k_base from 'js-tiktoken/ranks/cl100k_base'
import postgres from 'postgres'
import { chunkText } from '../../src/knowledge/chunker'
import { embedTexts } from '../../src/knowledge/embeddings'
import { extractText } from '../../src/knowledge/extract'
import { hundredPagePdf, proseText } from './corpus'

export interface ChunkTaskResult {
  tokens: number
  ms: number
  peakRssDeltaMb: number
  /** JS heap + array buffers right after the run, above the collected baseline (garbage included). */
  heapGrowthMb: number
  chunks: string[]
}

export interface IndexPdfResult {
  pages: number
  pdfBytes: number
  chunks: number
  tokens: number
  requests: number
  extractMs: number
  chunkMs: number
  embedMs: number
  storeMs: number
  totalMs: number
  peakHeapMb: number
  peakRssDeltaMb: number
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10
/** Peak resident memory of this process so far (Linux reports kilobytes). */
const maxRss = () => process.resourceUsage().maxRSS * 1024

async function chunkTask(splitter: 'ours' | 'langchain', words: number): Promise<ChunkTaskResult> {
  const text = proseText(words, 7)
  const langchain = new TokenTextSplitter({ encodingName: 'cl100k_base', chunkSize: 500, chunkOverlap: 50 })
  const tokenizer = new Tiktoken(cl100k_base)
  // Ranks from the local package: the splitter would otherwise fetch them over the network.
  Object.assign(langchain, { tokenizer })
  const run = async (input: string) =>
    splitter === 'ours' ? chunkText(input).map((c) => c.content) : await langchain.splitText(input)
  await run(proseText(3000, 3)) // warm-up: load ranks, JIT
  const tokens = tokenizer.encode(text).length
  if (typeof globalThis.gc === 'function') globalThis.gc()
  const before = process.memoryUsage()
  const started = performance.now()
  const chunks = await run(text)
  const ms = performance.now() - started
  const after = process.memoryUsage()
  const heapGrowth = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers
  return {
    tokens,
    ms,
    peakRssDeltaMb: mb(Math.max(0, maxRss() - before.rss)),
    heapGrowthMb: mb(Math.max(0, heapGrowth)),
    chunks,
  }
}

async function indexPdfTask(input: {
  embeddingsUrl: string
  databaseUrl: string
  documentId: string
  customerId: string
  knowledgeBaseId: string
}): Promise<IndexPdfResult> {
  const pdf = hundredPagePdf(100)
  const warm = await extractText('pdf', hundredPagePdf(1))
  chunkText(warm)
  const sql = postgres(input.databaseUrl, { max: 1, onnotice: () => {} })
  await sql`select 1`
  if (typeof globalThis.gc === 'function') globalThis.gc()
  const base = process.memoryUsage()
  let peakHeap = 0
  const sample = () => {
    const m = process.memoryUsage()
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers)
  }
  const sampler = setInterval(sample, 2)
  const t0 = performance.now()
  const text = await extractText('pdf', pdf)
  sample()
  const t1 = performance.now()
  const chunks = chunkText(text)
  sample()
  const t2 = performance.now()
  let requests = 0
  const vectors = await embedTexts(
    { OPENAI_BASE_URL: input.embeddingsUrl, OPENAI_API_KEY: 'local', OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small' },
    chunks.map((c) => ({ text: c.content, tokenCount: c.tokenCount })),
    { onRequest: () => requests++ },
  )
  sample()
  const t3 = performance.now()
  // Same shape as processDocument's transaction: replace the chunks, mark indexed.
  await sql.begin(async (tx) => {
    await tx`select id from knowledge_documents where id = ${input.documentId} for update`
    await tx`delete from document_chunks where document_id = ${input.documentId}`
    for (let start = 0; start < chunks.length; start += 100) {
      const rows = chunks.slice(start, start + 100).map((c, i) => ({
        document_id: input.documentId,
        customer_id: input.customerId,
        knowledge_base_id: input.knowledgeBaseId,
        content: c.content,
        chunk_index: start + i,
        token_count: c.tokenCount,
        embedding: `[${Array.prototype.join.call(vectors[start + i]!, ',')}]`,
      }))
      await tx`insert into document_chunks ${tx(rows)}`
    }
    await tx`update knowledge_documents set status = 'indexed', chunk_count = ${chunks.length}, processed_at = now() where id = ${input.documentId}`
  })
  sample()
  const t4 = performance.now()
  clearInterval(sampler)
  await sql.end()
  return {
    pages: 100,
    pdfBytes: pdf.byteLength,
    chunks: chunks.length,
    tokens: chunks.reduce((s, c) => s + c.tokenCount, 0),
    requests,
    extractMs: t1 - t0,
    chunkMs: t2 - t1,
    embedMs: t3 - t2,
    storeMs: t4 - t3,
    totalMs: t4 - t0,
    peakHeapMb: mb(peakHeap),
    peakRssDeltaMb: mb(Math.max(0, maxRss() - base.rss)),
  }
}

export interface ExtractPeakResult {
  outcome: string
  ms: number
  /** Growth of the process's peak resident memory over its size before the extraction. */
  peakRssDeltaMb: number
  /** JS heap + array buffers right after, above the collected baseline (garbage included). */
  heapMb: number
}

const TYPES: Record<string, 'txt' | 'md' | 'html' | 'pdf' | 'docx'> = {
  txt: 'txt',
  md: 'md',
  html: 'html',
  pdf: 'pdf',
  docx: 'docx',
}

/** Extracts (and, if it has text, chunks) one file the way the consumer does, measuring memory. */
async function extractPeakTask(path: string): Promise<ExtractPeakResult> {
  const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'txt'
  const bytes = new Uint8Array(await readFile(path))
  chunkText(await extractText('txt', new TextEncoder().encode(proseText(500, 3))))
  if (typeof globalThis.gc === 'function') globalThis.gc()
  const before = process.memoryUsage()
  // The peak from here on, not since the process began (loading the modules alone set a higher one).
  await writeFile('/proc/self/clear_refs', '5')
  const started = performance.now()
  let outcome: string
  try {
    const text = await extractText(type, bytes)
    const chunks = chunkText(text)
    outcome = `text: ${text.length.toLocaleString('en-US')} chars, ${chunks.length} chunks`
  } catch (error) {
    outcome = error instanceof Error ? error.message : String(error)
  }
  const ms = performance.now() - started
  const after = process.memoryUsage()
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1])
  return {
    outcome,
    ms,
    peakRssDeltaMb: mb(Math.max(0, peakKb * 1024 - before.rss)),
    heapMb: mb(Math.max(0, after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers)),
  }
}

/** Entry of a benchmark child process: reads its task from the environment, prints JSON. */
export async function runTask(): Promise<void> {
  const task = JSON.parse(process.env.KNOWLEDGE_BENCH_TASK ?? 'null') as
    | { kind: 'chunk'; splitter: 'ours' | 'langchain'; words: number }
    | ({ kind: 'index-pdf' } & Parameters<typeof indexPdfTask>[0])
    | { kind: 'extract-peak'; path: string }
    | null
  if (!task) return
  const result =
    task.kind === 'chunk'
      ? await chunkTask(task.splitter, task.words)
      : task.kind === 'extract-peak'
        ? await extractPeakTask(task.path)
        : await indexPdfTask(task)
  process.stdout.write(JSON.stringify(result))
}
