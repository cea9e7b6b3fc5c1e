import { and, asc, eq } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { knowledgeBases } from '../../db/schema'
import { isUuid } from '../../platform/uuid'
import type { KnowledgeBaseSpec } from './schema'
import type { KnowledgeBaseChoice } from './session'
import type { SubmittedForm } from './validate'

/** Form fields of the knowledge-base step. `create_new` + `kb_name` is what the spec's client sends. */
export const KB_FIELDS = { choice: 'kb_choice', existing: 'kb_id', name: 'kb_name', createNew: 'create_new' } as const

export interface KnowledgeBaseOption {
  id: string
  name: string
}

export async function knowledgeBaseOptions(db: Executor, customerId: string): Promise<KnowledgeBaseOption[]> {
  return db
    .select({ id: knowledgeBases.id, name: knowledgeBases.name })
    .from(knowledgeBases)
    .where(eq(knowledgeBases.customerId, customerId))
    .orderBy(asc(knowledgeBases.name))
}

const one = (form: SubmittedForm, name: string) => {
  const v = form[name]
  return ((Array.isArray(v) ? v.at(-1) : v) ?? '').trim()
}
const truthy = (v: string) => v !== '' && !['false', '0', 'no', 'off'].includes(v.toLowerCase())

export type KnowledgeBaseValidation =
  | { ok: true; choice: KnowledgeBaseChoice }
  | { ok: false; errors: Record<string, string>; raw: Record<string, string> }

/** Checks the knowledge-base step: an existing KB of this customer, a new one by name, or none when allowed. */
export async function validateKnowledgeBaseStep(
  db: Executor,
  customerId: string,
  spec: KnowledgeBaseSpec,
  form: SubmittedForm,
): Promise<KnowledgeBaseValidation> {
  const existingId = one(form, KB_FIELDS.existing)
  const name = one(form, KB_FIELDS.name)
  const explicit = one(form, KB_FIELDS.choice)
  const choice = explicit || (truthy(one(form, KB_FIELDS.createNew)) ? 'new' : existingId ? 'existing' : 'none')
  const raw = { [KB_FIELDS.choice]: choice, [KB_FIELDS.existing]: existingId, [KB_FIELDS.name]: name.slice(0, 200) }
  const fail = (field: string, message: string) => ({ ok: false as const, errors: { [field]: message }, raw })

  if (choice === 'new' && spec.allow_create_new) {
    if (name.length === 0) return fail(KB_FIELDS.name, 'Give the new knowledge base a name')
    if (name.length > 100) return fail(KB_FIELDS.name, 'Use at most 100 characters')
    return { ok: true, choice: { mode: 'new', name } }
  }
  if (choice === 'existing' && spec.allow_existing) {
    if (!isUuid(existingId)) return fail(KB_FIELDS.existing, 'Choose one of your knowledge bases')
    const [kb] = await db
      .select({ id: knowledgeBases.id })
      .from(knowledgeBases)
      .where(and(eq(knowledgeBases.id, existingId), eq(knowledgeBases.customerId, customerId)))
    if (!kb) return fail(KB_FIELDS.existing, 'Choose one of your knowledge bases')
    return { ok: true, choice: { mode: 'existing', id: kb.id } }
  }
  if (choice === 'none' && !spec.required) return { ok: true, choice: { mode: 'none' } }
  return fail(
    KB_FIELDS.choice,
    spec.required ? 'This agent needs a knowledge base: choose one or create a new one' : 'Choose one of the options',
  )
}
