import { z } from 'zod'

/** The field types the wizard renders and validates. */
export const FIELD_TYPES = ['text', 'textarea', 'select', 'checkbox', 'number', 'email', 'url'] as const
export type FieldType = (typeof FIELD_TYPES)[number]

/** The id of the knowledge-base step that the wizard appends when `knowledge_base.enabled`. */
export const KNOWLEDGE_BASE_STEP = 'knowledge_base'

const validRegex = (pattern: string) => {
  try {
    new RegExp(pattern, 'u')
    return true
  } catch {
    return false
  }
}

const option = z.union([
  z.string().transform((value) => ({ value, label: value })),
  z
    .object({ value: z.string(), label: z.string().optional() })
    .transform((o) => ({ value: o.value, label: o.label ?? o.value })),
])

const count = z.number().int().nonnegative()

const fieldSchema = z
  .object({
    // Leading underscores are reserved for the wizard's own bookkeeping in the session data.
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must start with a letter and use only letters, digits and _'),
    type: z.enum(FIELD_TYPES),
    label: z.string().optional(),
    help: z.string().optional(),
    placeholder: z.string().optional(),
    required: z.boolean().default(false),
    min: z.number().optional(),
    max: z.number().optional(),
    min_length: count.optional(),
    max_length: count.optional(),
    pattern: z.string().refine(validRegex, 'is not a valid regular expression').optional(),
    options: z.array(option).optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.type === 'select' && (!f.options || f.options.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'a select field needs at least one option' })
    }
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min is larger than max' })
    }
    if (f.min_length !== undefined && f.max_length !== undefined && f.min_length > f.max_length) {
      ctx.addIssue({ code: 'custom', path: ['min_length'], message: 'min_length is larger than max_length' })
    }
  })

const stepSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must use only letters, digits, - and _')
    .refine((id) => id !== KNOWLEDGE_BASE_STEP, `"${KNOWLEDGE_BASE_STEP}" is reserved for the knowledge-base step`),
  title: z.string().optional(),
  description: z.string().optional(),
  fields: z.array(fieldSchema).default([]),
})

const knowledgeBaseSchema = z
  .object({
    enabled: z.boolean().default(false),
    required: z.boolean().default(false),
    allow_existing: z.boolean().default(true),
    allow_create_new: z.boolean().default(true),
    title: z.string().optional(),
    description: z.string().optional(),
  })
  .superRefine((kb, ctx) => {
    if (kb.enabled && !kb.allow_existing && !kb.allow_create_new) {
      ctx.addIssue({ code: 'custom', message: 'allows neither an existing nor a new knowledge base' })
    }
  })

export const onboardingSchema = z
  .object({
    steps: z.array(stepSchema).default([]),
    knowledge_base: knowledgeBaseSchema.optional(),
  })
  .superRefine((schema, ctx) => {
    const stepIds = new Set<string>()
    const fieldNames = new Set<string>()
    schema.steps.forEach((step, i) => {
      if (stepIds.has(step.id))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `step "${step.id}" appears twice` })
      stepIds.add(step.id)
      step.fields.forEach((f, j) => {
        if (fieldNames.has(f.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'fields', j, 'name'],
            message: `field "${f.name}" appears twice`,
          })
        }
        fieldNames.add(f.name)
      })
    })
    if (schema.steps.length === 0 && !schema.knowledge_base?.enabled) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the wizard has no steps' })
    }
  })

export type OnboardingSchema = z.infer<typeof onboardingSchema>
export type FieldSpec = z.infer<typeof fieldSchema>
export type KnowledgeBaseSpec = z.infer<typeof knowledgeBaseSchema>

export type WizardStep =
  | { kind: 'fields'; id: string; title: string; description?: string; fields: FieldSpec[] }
  | {
      kind: 'knowledge_base'
      id: typeof KNOWLEDGE_BASE_STEP
      title: string
      description?: string
      spec: KnowledgeBaseSpec
    }

export interface Wizard {
  schema: OnboardingSchema
  steps: WizardStep[]
}

export type ParsedWizard = { ok: true; wizard: Wizard } | { ok: false; problems: string[] }

const titleCase = (id: string) => id.replace(/[-_]+/g, ' ').replace(/^\w/, (c) => c.toUpperCase())

/** The wizard an agent type's `onboarding_schema` describes, or readable problems when it is malformed. */
export function parseWizard(raw: unknown): ParsedWizard {
  const parsed = onboardingSchema.safeParse(raw)
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const where = issue.path.length > 0 ? issue.path.join('.') : 'schema'
        return `${where}: ${issue.message}`
      }),
    }
  }
  const schema = parsed.data
  const steps: WizardStep[] = schema.steps.map((s) => ({
    kind: 'fields',
    id: s.id,
    title: s.title ?? titleCase(s.id),
    description: s.description,
    fields: s.fields,
  }))
  const kb = schema.knowledge_base
  if (kb?.enabled) {
    steps.push({
      kind: 'knowledge_base',
      id: KNOWLEDGE_BASE_STEP,
      title: kb.title ?? 'Knowledge base',
      description: kb.description,
      spec: kb,
    })
  }
  return { ok: true, wizard: { schema, steps } }
}

export const fieldLabel = (f: FieldSpec) => f.label ?? titleCase(f.name)

/** Every field of every step, in order (the agent's editable configuration). */
export const allFields = (wizard: Wizard) => wizard.steps.flatMap((s) => (s.kind === 'fields' ? s.fields : []))
