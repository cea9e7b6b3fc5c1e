import { and, asc, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { assertWithinPlanLimit } from '../billing/rules/plan-limits'
import type { Database, Executor } from '../db/client'
import { documentChunks, knowledgeBases, knowledgeDocuments, SEARCH_LANGUAGES } from '../db/schema'
import { InvalidInput, NotFound } from '../errors'

export const knowledgeBaseInputSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Give the knowledge base a name')
    .max(120, 'The name is too long (120 characters at most)'),
  description: z.string().trim().max(1000, 'The description is too long (1000 characters at most)').default(''),
  /** Omitted: `english` for a new knowledge base, unchanged for an update. */
  searchLanguage: z.enum(SEARCH_LANGUAGES, { error: 'Choose one of the listed search languages' }).optional(),
})
export type KnowledgeBaseInput = z.input<typeof knowledgeBaseInputSchema>

function parseInput(input: KnowledgeBaseInput) {
  const parsed = knowledgeBaseInputSchema.safeParse(input)
  if (!parsed.success) throw InvalidInput.fromZod(parsed.error, 'The input is not valid')
  return parsed.data
}

export async function listKnowledgeBases(db: Executor, customerId: string) {
  return db
    .select({
      id: knowledgeBases.id,
      name: knowledgeBases.name,
      description: knowledgeBases.description,
      createdAt: knowledgeBases.createdAt,
      documentCount: sql<number>`count(${knowledgeDocuments.id})::int`,
    })
    .from(knowledgeBases)
    .leftJoin(knowledgeDocuments, eq(knowledgeDocuments.knowledgeBaseId, knowledgeBases.id))
    .where(eq(knowledgeBases.customerId, customerId))
    .groupBy(knowledgeBases.id)
    .orderBy(asc(knowledgeBases.name))
}

/** The customer's knowledge base; another customer's id is simply not found. */
export async function getKnowledgeBase(db: Executor, customerId: string, kbId: string) {
  if (!z.uuid().safeParse(kbId).success) throw new NotFound('Knowledge base')
  const [kb] = await db
    .select()
    .from(knowledgeBases)
    .where(and(eq(knowledgeBases.id, kbId), eq(knowledgeBases.customerId, customerId)))
  if (!kb) throw new NotFound('Knowledge base')
  return kb
}

/** The name of the customer's knowledge base (e.g. the one an agent answers from), null when it is gone. */
export async function knowledgeBaseName(
  db: Executor,
  customerId: string,
  kbId: string,
): Promise<{ id: string; name: string } | null> {
  const [kb] = await db
    .select({ id: knowledgeBases.id, name: knowledgeBases.name })
    .from(knowledgeBases)
    .where(and(eq(knowledgeBases.id, kbId), eq(knowledgeBases.customerId, customerId)))
  return kb ?? null
}

/** Creates a knowledge base within the plan's `knowledge_bases` limit (the customer row is locked while counting). */
export async function createKnowledgeBase(db: Database, customerId: string, input: KnowledgeBaseInput) {
  const values = parseInput(input)
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT id FROM customers WHERE id = ${customerId} FOR UPDATE`)
    await assertWithinPlanLimit(tx, customerId, 'knowledge_bases')
    const [kb] = await tx
      .insert(knowledgeBases)
      .values({ customerId, ...values })
      .returning()
    return kb!
  })
}

/**
 * Renames, re-describes or changes the search language. A new language re-analyses the KB's
 * chunks (their `search_vector` is generated from `search_language`) in the same transaction.
 */
export async function updateKnowledgeBase(db: Database, customerId: string, kbId: string, input: KnowledgeBaseInput) {
  const values = parseInput(input)
  const current = await getKnowledgeBase(db, customerId, kbId)
  return db.transaction(async (tx) => {
    const [kb] = await tx
      .update(knowledgeBases)
      .set(values)
      .where(and(eq(knowledgeBases.id, kbId), eq(knowledgeBases.customerId, customerId)))
      .returning()
    if (values.searchLanguage && values.searchLanguage !== current.searchLanguage) {
      await tx
        .update(documentChunks)
        .set({ searchLanguage: values.searchLanguage })
        .where(eq(documentChunks.knowledgeBaseId, kbId))
    }
    return kb!
  })
}

/** The KB's text search configuration, as a subquery for chunk inserts (chunks follow their KB). */
export const knowledgeBaseSearchLanguage = (kbId: string) =>
  sql`(SELECT ${knowledgeBases.searchLanguage} FROM ${knowledgeBases} WHERE ${knowledgeBases.id} = ${kbId})`

/** Deletes the knowledge base, its documents and chunks (cascade) and their stored files. */
export async function deleteKnowledgeBase(db: Executor, bucket: R2Bucket, customerId: string, kbId: string) {
  const kb = await getKnowledgeBase(db, customerId, kbId)
  const keys = await db
    .select({ key: knowledgeDocuments.filePath })
    .from(knowledgeDocuments)
    .where(eq(knowledgeDocuments.knowledgeBaseId, kb.id))
  await db.delete(knowledgeBases).where(and(eq(knowledgeBases.id, kb.id), eq(knowledgeBases.customerId, customerId)))
  const stored = keys.map((k) => k.key).filter((k): k is string => !!k)
  // R2 deletes at most 1000 keys per call.
  for (let i = 0; i < stored.length; i += 1000) await bucket.delete(stored.slice(i, i + 1000))
}
