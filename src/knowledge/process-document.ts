import { and, eq, ne, sql } from 'drizzle-orm'
import OpenAI from 'openai'
import type { Database } from '../db/client'
import { documentChunks, knowledgeDocuments } from '../db/schema'
import { ExtractionLimitExceeded, PlanLimitReached, Unreadable } from '../errors'
import type { Logger } from '../platform/logger'
import { chunkText } from './chunker'
import { documentTypeOf } from './document-types'
import { type EmbeddingsConfig, type EmbedOptions, embedTexts } from './embeddings'
import { extractText } from './extract'
import { knowledgeBaseSearchLanguage } from './knowledge-bases'
import { MAX_PROCESSING_ATTEMPTS } from './limits'
import { embeddingAllowance, embeddingBudgetExceeded, recordEmbeddedTokens } from './quotas'

export interface ProcessDeps {
  db: Database
  bucket: R2Bucket
  config: EmbeddingsConfig
  logger?: Logger
  embedOptions?: EmbedOptions
}

export type ProcessOutcome =
  | { status: 'indexed'; chunks: number }
  | { status: 'skipped'; reason: 'already indexed' | 'not found' }
  /** `permanent`: retrying cannot help (the file itself is the problem). */
  | { status: 'failed'; permanent: boolean; message: string }

export const RETRY_NOTE = ' Retrying automatically.'
export const CUT_OFF_MESSAGE = `Processing stopped before it finished ${MAX_PROCESSING_ATTEMPTS} times: the file is probably too large or complex to read within the limits. Split it into smaller files and upload those.`
const INSERT_ROWS_PER_STATEMENT = 100

/**
 * Marks the document `processing` unless it is already indexed, and counts the run as unfinished
 * until it records an outcome; null when there is nothing to do.
 */
async function claim(db: Database, documentId: string) {
  const [doc] = await db
    .update(knowledgeDocuments)
    .set({
      status: 'processing',
      errorMessage: null,
      processingStartedAt: sql`now()`,
      unfinishedAttempts: sql`${knowledgeDocuments.unfinishedAttempts} + 1`,
    })
    .where(and(eq(knowledgeDocuments.id, documentId), ne(knowledgeDocuments.status, 'indexed')))
    .returning()
  return doc ?? null
}

async function readBytes(bucket: R2Bucket, key: string | null): Promise<Uint8Array> {
  const object = key ? await bucket.get(key) : null
  if (!object) throw new Unreadable('The uploaded file is missing from storage; upload it again')
  return new Uint8Array(await object.arrayBuffer())
}

function describeFailure(error: unknown): { permanent: boolean; message: string } {
  if (error instanceof Unreadable || error instanceof PlanLimitReached)
    return { permanent: true, message: error.message }
  if (error instanceof OpenAI.APIError && error.status && [400, 404, 413, 422].includes(error.status)) {
    return { permanent: true, message: `The embeddings service refused the document (HTTP ${error.status})` }
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ? ` (HTTP ${error.status})` : ''
    return { permanent: false, message: `The embeddings service is unavailable${status}.${RETRY_NOTE}` }
  }
  return { permanent: false, message: `Processing failed unexpectedly.${RETRY_NOTE}` }
}

/**
 * The queue consumer's unit of work: extract, chunk, embed, then in one transaction replace the
 * document's chunks and mark it indexed. Safe to run twice for the same document, even at once:
 * the transaction locks the document row and skips it when another run indexed it first.
 */
export async function processDocument(deps: ProcessDeps, documentId: string): Promise<ProcessOutcome> {
  const { db } = deps
  const doc = await claim(db, documentId)
  if (!doc) {
    const exists = await db.query.knowledgeDocuments.findFirst({
      columns: { id: true },
      where: eq(knowledgeDocuments.id, documentId),
    })
    return { status: 'skipped', reason: exists ? 'already indexed' : 'not found' }
  }
  try {
    // Earlier runs were killed (CPU, memory) before they could say why: this one would be too.
    if (doc.unfinishedAttempts > MAX_PROCESSING_ATTEMPTS) throw new ExtractionLimitExceeded(CUT_OFF_MESSAGE)
    const type = documentTypeOf(doc.contentType)
    if (!type) throw new Unreadable('The document type is not supported')
    const text = await extractText(type, await readBytes(deps.bucket, doc.filePath))
    const chunks = chunkText(text)
    const documentTokens = chunks.reduce((sum, c) => sum + c.tokenCount, 0)
    const allowance = await embeddingAllowance(db, doc.customerId)
    if (allowance.remaining !== null && documentTokens > allowance.remaining) {
      throw embeddingBudgetExceeded(documentTokens, allowance.remaining, allowance.allowed ?? 0)
    }
    const vectors = await embedTexts(
      deps.config,
      chunks.map((c) => ({ text: c.content, tokenCount: c.tokenCount })),
      deps.embedOptions,
    )
    return await db.transaction(async (tx) => {
      const [current] = await tx
        .select({ status: knowledgeDocuments.status })
        .from(knowledgeDocuments)
        .where(eq(knowledgeDocuments.id, documentId))
        .for('update')
      if (!current) return { status: 'skipped', reason: 'not found' } as const
      if (current.status === 'indexed') return { status: 'skipped', reason: 'already indexed' } as const
      await tx.delete(documentChunks).where(eq(documentChunks.documentId, documentId))
      for (let start = 0; start < chunks.length; start += INSERT_ROWS_PER_STATEMENT) {
        const rows = chunks.slice(start, start + INSERT_ROWS_PER_STATEMENT).map((chunk, i) => ({
          documentId,
          customerId: doc.customerId,
          knowledgeBaseId: doc.knowledgeBaseId,
          content: chunk.content,
          chunkIndex: start + i,
          tokenCount: chunk.tokenCount,
          embedding: Array.from(vectors[start + i]!),
          searchLanguage: knowledgeBaseSearchLanguage(doc.knowledgeBaseId),
        }))
        await tx.insert(documentChunks).values(rows)
      }
      await tx
        .update(knowledgeDocuments)
        .set({
          status: 'indexed',
          chunkCount: chunks.length,
          errorMessage: null,
          processedAt: sql`now()`,
          unfinishedAttempts: 0,
          failedOnLimits: false,
        })
        .where(eq(knowledgeDocuments.id, documentId))
      if (allowance.periodStart) await recordEmbeddedTokens(tx, doc.customerId, allowance.periodStart, documentTokens)
      return { status: 'indexed', chunks: chunks.length } as const
    })
  } catch (error) {
    const failure = describeFailure(error)
    deps.logger?.warn('document processing failed', { document_id: documentId, ...failure, error })
    await db
      .update(knowledgeDocuments)
      .set({
        status: 'error',
        errorMessage: failure.message,
        unfinishedAttempts: 0,
        failedOnLimits: error instanceof ExtractionLimitExceeded,
      })
      .where(and(eq(knowledgeDocuments.id, documentId), ne(knowledgeDocuments.status, 'indexed')))
    return { status: 'failed', ...failure }
  }
}

/** The dead-letter queue's verdict: the document stays `error` for good. */
export async function giveUpOnDocument(db: Database, documentId: string): Promise<void> {
  const doc = await db.query.knowledgeDocuments.findFirst({ where: eq(knowledgeDocuments.id, documentId) })
  if (!doc || doc.status === 'indexed') return
  const reason = (doc.errorMessage ?? 'Processing failed.').replace(RETRY_NOTE, '')
  await db
    .update(knowledgeDocuments)
    .set({ status: 'error', errorMessage: `${reason} Gave up after repeated attempts; re-index to try again.` })
    .where(and(eq(knowledgeDocuments.id, documentId), ne(knowledgeDocuments.status, 'indexed')))
}
