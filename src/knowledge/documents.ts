import { and, desc, eq } from 'drizzle-orm'
import { z } from 'zod'
import type { Executor } from '../db/client'
import { knowledgeDocuments } from '../db/schema'
import { Conflict, InvalidInput, NotFound, Unavailable } from '../errors'
import type { DocumentQueues } from './document-lanes'
import { DOCUMENT_TYPES, detectDocumentType } from './file-types'
import { getKnowledgeBase } from './knowledge-bases'
import { MAX_PASTED_TEXT_CHARS } from './limits'
import { enqueueDocument } from './queue-message'
import { assertCanAddDocument } from './quotas'
import { documentObjectKey } from './storage'

export interface DocumentDeps {
  db: Executor
  bucket: R2Bucket
  queues: DocumentQueues
}

export type KnowledgeDocument = typeof knowledgeDocuments.$inferSelect

const QUEUE_FAILED = 'The document could not be queued for processing; re-index it to try again.'

const cleanTitle = (raw: string) => raw.replace(/\s+/g, ' ').trim().slice(0, 200)

async function storeAndQueue(
  deps: DocumentDeps,
  doc: {
    customerId: string
    knowledgeBaseId: string
    title: string
    sourceType: 'upload' | 'text'
    fileName: string | null
    contentType: string
    bytes: Uint8Array
  },
): Promise<KnowledgeDocument> {
  // Refused before anything is stored; checked again, under the customer's lock, with the insert.
  await assertCanAddDocument(deps.db, doc.customerId, doc.bytes.byteLength)
  const id = crypto.randomUUID()
  const key = documentObjectKey({ customerId: doc.customerId, knowledgeBaseId: doc.knowledgeBaseId, documentId: id })
  await deps.bucket.put(key, doc.bytes, { httpMetadata: { contentType: doc.contentType } })
  let row: KnowledgeDocument
  try {
    row = await deps.db.transaction(async (tx) => {
      await assertCanAddDocument(tx, doc.customerId, doc.bytes.byteLength)
      const [inserted] = await tx
        .insert(knowledgeDocuments)
        .values({
          id,
          customerId: doc.customerId,
          knowledgeBaseId: doc.knowledgeBaseId,
          title: doc.title,
          sourceType: doc.sourceType,
          status: 'pending',
          filePath: key,
          fileName: doc.fileName,
          contentType: doc.contentType,
          fileSize: doc.bytes.byteLength,
        })
        .returning()
      return inserted!
    })
  } catch (error) {
    await deps.bucket.delete(key)
    throw error
  }
  try {
    await enqueueDocument(deps.db, deps.queues, { id, customerId: doc.customerId })
  } catch {
    const [failed] = await deps.db
      .update(knowledgeDocuments)
      .set({ status: 'error', errorMessage: QUEUE_FAILED })
      .where(eq(knowledgeDocuments.id, id))
      .returning()
    return failed ?? row
  }
  return row
}

/**
 * One uploaded file becomes a pending document: its type checked from name and bytes (refused
 * before anything is stored), its bytes in R2 under a key made of ids, a message on the queue.
 */
export async function uploadDocument(
  deps: DocumentDeps,
  input: { customerId: string; kbId: string; fileName: string; bytes: Uint8Array },
): Promise<KnowledgeDocument> {
  const kb = await getKnowledgeBase(deps.db, input.customerId, input.kbId)
  const type = detectDocumentType(input.fileName, input.bytes)
  return storeAndQueue(deps, {
    customerId: kb.customerId,
    knowledgeBaseId: kb.id,
    title: cleanTitle(input.fileName) || 'Untitled',
    sourceType: 'upload',
    fileName: input.fileName.slice(0, 255),
    contentType: DOCUMENT_TYPES[type],
    bytes: input.bytes,
  })
}

export const pastedTextSchema = z.object({
  title: z.string().trim().min(1, 'Give the text a title').max(200, 'The title is too long (200 characters at most)'),
  text: z
    .string()
    .trim()
    .min(1, 'Paste some text')
    .max(
      MAX_PASTED_TEXT_CHARS,
      `The text is too long (${MAX_PASTED_TEXT_CHARS.toLocaleString('en-US')} characters at most)`,
    ),
})

export async function addTextDocument(
  deps: DocumentDeps,
  input: { customerId: string; kbId: string; title: string; text: string },
): Promise<KnowledgeDocument> {
  const parsed = pastedTextSchema.safeParse(input)
  if (!parsed.success) throw InvalidInput.fromZod(parsed.error, 'The text is not valid')
  const kb = await getKnowledgeBase(deps.db, input.customerId, input.kbId)
  return storeAndQueue(deps, {
    customerId: kb.customerId,
    knowledgeBaseId: kb.id,
    title: cleanTitle(parsed.data.title),
    sourceType: 'text',
    fileName: null,
    contentType: DOCUMENT_TYPES.txt,
    bytes: new TextEncoder().encode(parsed.data.text),
  })
}

export async function listDocuments(db: Executor, customerId: string, kbId: string): Promise<KnowledgeDocument[]> {
  return db
    .select()
    .from(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.knowledgeBaseId, kbId), eq(knowledgeDocuments.customerId, customerId)))
    .orderBy(desc(knowledgeDocuments.createdAt))
}

export async function getDocument(db: Executor, customerId: string, documentId: string): Promise<KnowledgeDocument> {
  if (!z.uuid().safeParse(documentId).success) throw new NotFound('Document')
  const [doc] = await db
    .select()
    .from(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.id, documentId), eq(knowledgeDocuments.customerId, customerId)))
  if (!doc) throw new NotFound('Document')
  return doc
}

/**
 * Why a document that failed on an extraction limit is not re-indexed: a run would break the same
 * limit again, taking another slot of the extraction Worker. Support can still retry it.
 */
function reindexRefusedMessage(errorMessage: string | null): string {
  const reason = (errorMessage ?? 'The file breaks a processing limit').trim().replace(/\.?$/, '.')
  return `This document stays failed: ${reason} Re-indexing it would stop the same way. If the file should be readable, contact support: they can retry it.`
}

/**
 * Back to `pending` and onto the queue; its chunks are replaced when processing succeeds. Refused
 * (Conflict) for a document that failed on an extraction limit (`failedOnLimits`): only an operator
 * (`ops documents retry`) gives such a file another run.
 */
export async function reindexDocument(deps: DocumentDeps, customerId: string, documentId: string) {
  const doc = await getDocument(deps.db, customerId, documentId)
  const [updated] = await deps.db
    .update(knowledgeDocuments)
    .set({ status: 'pending', errorMessage: null, unfinishedAttempts: 0 })
    .where(and(eq(knowledgeDocuments.id, doc.id), eq(knowledgeDocuments.failedOnLimits, false)))
    .returning()
  if (!updated) {
    throw new Conflict(reindexRefusedMessage(doc.errorMessage), {
      nextStep: { label: 'Back to the knowledge base', href: `/knowledge/${doc.knowledgeBaseId}` },
    })
  }
  try {
    await enqueueDocument(deps.db, deps.queues, doc)
  } catch {
    await deps.db
      .update(knowledgeDocuments)
      .set({ status: 'error', errorMessage: QUEUE_FAILED })
      .where(eq(knowledgeDocuments.id, doc.id))
    throw new Unavailable(QUEUE_FAILED)
  }
  return updated
}

/** The document, its chunks (cascade) and its stored file. */
export async function deleteDocument(deps: Omit<DocumentDeps, 'queues'>, customerId: string, documentId: string) {
  const doc = await getDocument(deps.db, customerId, documentId)
  await deps.db
    .delete(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.id, doc.id), eq(knowledgeDocuments.customerId, customerId)))
  if (doc.filePath) await deps.bucket.delete(doc.filePath)
  return doc
}
