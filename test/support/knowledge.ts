import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import extractionWorker from '../../queues/extraction-worker'
import { DOCUMENT_DEAD_LETTER_QUEUE, DOCUMENT_QUEUE } from '../../queues/queue-names'
import type { Executor } from '../../src/db/client'
import { documentChunks, knowledgeDocuments } from '../../src/db/schema'
import type { DocumentQueues } from '../../src/knowledge/document-lanes'
import { embedQuery } from '../../src/knowledge/embeddings'
import blankPdf from '../fixtures/knowledge/blank.pdf?inline'
import corruptDocx from '../fixtures/knowledge/corrupt.docx?inline'
import corruptPdf from '../fixtures/knowledge/corrupt.pdf?inline'
import emptyPdf from '../fixtures/knowledge/empty.pdf?inline'
import emptyTxt from '../fixtures/knowledge/empty.txt?inline'
import encryptedPdf from '../fixtures/knowledge/encrypted.pdf?inline'
import notReallyPdf from '../fixtures/knowledge/not-really.pdf?inline'
import sampleDocx from '../fixtures/knowledge/sample.docx?inline'
import sampleHtml from '../fixtures/knowledge/sample.html?inline'
import sampleMd from '../fixtures/knowledge/sample.md?inline'
import samplePdf from '../fixtures/knowledge/sample.pdf?inline'
import sampleTxt from '../fixtures/knowledge/sample.txt?inline'
import { env, testConfig } from './env'
import type { Factories } from './factories'

const FIXTURES = {
  'sample.txt': sampleTxt,
  'sample.md': sampleMd,
  'sample.html': sampleHtml,
  'sample.pdf': samplePdf,
  'sample.docx': sampleDocx,
  'empty.txt': emptyTxt,
  'empty.pdf': emptyPdf,
  'blank.pdf': blankPdf,
  'corrupt.pdf': corruptPdf,
  'corrupt.docx': corruptDocx,
  'encrypted.pdf': encryptedPdf,
  'not-really.pdf': notReallyPdf,
}
export type FixtureName = keyof typeof FIXTURES

/** The committed fixtures no extractor can read, and the message that tells the customer why. */
export const UNREADABLE_FIXTURES: ReadonlyArray<readonly [FixtureName, string]> = [
  ['empty.txt', 'The file is empty (0 bytes)'],
  ['empty.pdf', 'The file is empty (0 bytes)'],
  ['corrupt.pdf', 'The PDF is damaged or not a valid PDF file'],
  ['encrypted.pdf', 'The PDF is encrypted (password-protected)'],
  ['blank.pdf', 'The PDF contains no text'],
  ['corrupt.docx', 'The Word document is damaged or not a valid .docx file'],
]

/** The bytes of a committed fixture file under test/fixtures/knowledge. */
export function fixture(name: FixtureName): Uint8Array {
  const base64 = FIXTURES[name].slice(FIXTURES[name].indexOf(',') + 1)
  const binary = atob(base64)
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

export const bucket = () => env.UPLOADS

/** A queue that records what was sent, for domain functions that enqueue. */
export function recordingQueue() {
  const sent: unknown[] = []
  const queue = {
    send: async (body: unknown) => {
      sent.push(body)
    },
    sendBatch: async () => {},
  } as unknown as Queue
  return { queue, sent }
}

/** A queue whose sends fail, as when Cloudflare Queues does not accept messages. */
export function failingQueue(): Queue {
  const unavailable = async () => {
    throw new Error('queue unavailable')
  }
  return { send: unavailable, sendBatch: unavailable } as unknown as Queue
}

/** Both documents lanes recording: `sent` holds every message in order, `lanes` each lane's. */
export function recordingDocumentQueues() {
  const main = recordingQueue()
  const suspect = recordingQueue()
  const sent: unknown[] = []
  const tee = (lane: ReturnType<typeof recordingQueue>) =>
    ({
      send: async (body: unknown) => {
        sent.push(body)
        await lane.queue.send(body)
      },
      sendBatch: async () => {},
    }) as unknown as Queue
  const queues: DocumentQueues = { main: tee(main), suspect: tee(suspect) }
  return { queues, sent, lanes: { main: main.sent, suspect: suspect.sent } }
}

/** Both documents lanes refusing every message. */
export const failingDocumentQueues = (): DocumentQueues => ({ main: failingQueue(), suspect: failingQueue() })

let sequence = 0
export function message(documentId: string, attempts = 1) {
  return { id: `msg-${++sequence}-${documentId}`, timestamp: new Date(), attempts, body: { documentId } }
}

/** Runs the extraction Worker's real queue handler on a batch and returns what it acked and retried. */
export async function deliver(
  messages: Array<{ id: string; timestamp: Date; attempts: number; body: unknown }>,
  queue = DOCUMENT_QUEUE,
) {
  const batch = createMessageBatch(queue, messages)
  const ctx = createExecutionContext()
  await extractionWorker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

export const deliverDeadLetters = (messages: Parameters<typeof deliver>[0]) =>
  deliver(messages, DOCUMENT_DEAD_LETTER_QUEUE)

export async function documentRow(db: Executor, id: string) {
  const [doc] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, id))
  return doc
}

export async function chunksOf(db: Executor, documentId: string) {
  return db
    .select()
    .from(documentChunks)
    .where(eq(documentChunks.documentId, documentId))
    .orderBy(documentChunks.chunkIndex)
}

export const queryEmbedding = (text: string) => embedQuery(testConfig(), text)

/** A unit vector whose cosine similarity with the unit vector `q` is exactly `score`. */
export function vectorWithScore(q: Float32Array, score: number, seed = 1): number[] {
  let state = seed * 2654435761
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648 - 0.5
  }
  const u = Array.from(q, () => random())
  const dot = u.reduce((s, v, i) => s + v * q[i]!, 0)
  for (let i = 0; i < u.length; i++) u[i]! -= dot * q[i]!
  const norm = Math.sqrt(u.reduce((s, v) => s + v * v, 0))
  const side = Math.sqrt(Math.max(0, 1 - score * score))
  return Array.from(q, (v, i) => score * v + (side * u[i]!) / norm)
}

export interface ScoredChunk {
  content: string
  /** The chunk's cosine similarity with the query (see {@link vectorWithScore}). */
  score: number
  chunkIndex?: number
  seed?: number
}

/** Chunks of `documentId` whose embeddings have exactly their `score` as similarity with `q`. */
export async function scoredChunks(f: Factories, documentId: string, q: Float32Array, chunks: ScoredChunk[]) {
  for (const { score, seed, ...chunk } of chunks) {
    await f.documentChunk({ documentId, ...chunk, embedding: vectorWithScore(q, score, seed) })
  }
}

/**
 * `count` chunks `${label} 0`, `${label} 1`, ... scored `best`, `best - step`, ... against `q`. Their
 * indexes are two apart: neighbouring chunks of one document collapse into one search result.
 */
export function descendingChunks(
  f: Factories,
  documentId: string,
  q: Float32Array,
  o: { label: string; count: number; best: number; step: number },
) {
  const chunks = Array.from({ length: o.count }, (_, i) => ({
    content: `${o.label} ${i}`,
    chunkIndex: i * 2,
    score: o.best - i * o.step,
    seed: i + 1,
  }))
  return scoredChunks(f, documentId, q, chunks)
}
