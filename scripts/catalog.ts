// A catalog file (catalog/*.json) for both `npm run seed` and `ops catalog diff`: one parser and validator
// (each agent type's onboarding schema goes through the wizard's own parser) and one comparison with
// the database. The seed writes exactly the items the comparison reports as added or changed, so the
// diff and the seed cannot disagree.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { parseWizard } from '../src/agents/onboarding/schema.ts'
import { BILLING_PERIODS, PLAN_LIMIT_KEYS } from '../src/db/schema/plan-values.ts'
import { createFernet } from '../src/platform/fernet.ts'

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must use only lowercase letters, digits, - and _')
const count = z.number().int().nonnegative()

const planSchema = z
  .object({
    slug,
    name: z.string().min(1),
    description: z.string().default(''),
    stripe_price_id: z.string().min(1).nullable().default(null),
    price_cents: count.default(0),
    billing_period: z.enum(BILLING_PERIODS).default('monthly'),
    limits: z.strictObject(Object.fromEntries(PLAN_LIMIT_KEYS.map((key) => [key, count.optional()]))).default({}),
    is_active: z.boolean().default(true),
    sort_order: z.number().int().default(0),
  })
  .strict()

const agentTypeSchema = z
  .object({
    slug,
    name: z.string().min(1),
    description: z.string().default(''),
    system_prompt_template: z.string().default(''),
    // Checked by the onboarding wizard's own parser (see parseCatalog): its messages name the step and field.
    onboarding_schema: z.record(z.string(), z.unknown()),
    is_active: z.boolean().default(true),
  })
  .strict()

const billingSettingSchema = z
  .object({
    value: z.unknown().refine((value) => value !== undefined, 'is required'),
    description: z.string().default(''),
  })
  .strict()

const providerSchema = z
  .object({
    slug,
    name: z.string().min(1),
    authorize_url: z.url(),
    token_url: z.url(),
    scopes: z.string().default(''),
    client_id: z.string().min(1),
    /** The OAuth client secret in plaintext (local stand-ins only), or the name of an env var holding it. */
    client_secret: z.string().min(1).optional(),
    client_secret_env: z.string().min(1).optional(),
    is_active: z.boolean().default(true),
  })
  .strict()

const catalogSchema = z
  .object({
    plans: z.array(planSchema).default([]),
    agent_types: z.array(agentTypeSchema).default([]),
    billing_settings: z.record(z.string().min(1), billingSettingSchema).default({}),
    integration_providers: z.array(providerSchema).default([]),
  })
  .strict()

export type Catalog = z.output<typeof catalogSchema>
export type CatalogProvider = Catalog['integration_providers'][number]

export type CatalogKind = 'plans' | 'agent_types' | 'billing_settings' | 'integration_providers'
export const CATALOG_KINDS: readonly CatalogKind[] = [
  'plans',
  'agent_types',
  'billing_settings',
  'integration_providers',
]

/** Per kind: the table, the column the seed matches rows by, and the columns it writes (the ones compared). */
export const CATALOG_TABLES = {
  plans: {
    table: 'plans',
    key: 'slug',
    columns: [
      'name',
      'description',
      'stripe_price_id',
      'price_cents',
      'billing_period',
      'limits',
      'is_active',
      'sort_order',
    ],
  },
  agent_types: {
    table: 'agent_types',
    key: 'slug',
    columns: ['name', 'description', 'system_prompt_template', 'onboarding_schema', 'is_active'],
  },
  billing_settings: { table: 'billing_settings', key: 'key', columns: ['value', 'description'] },
  integration_providers: {
    table: 'integration_providers',
    key: 'slug',
    columns: ['name', 'authorize_url', 'token_url', 'scopes', 'client_id', 'is_active'],
  },
} as const satisfies Record<CatalogKind, { table: string; key: string; columns: readonly string[] }>

export interface OnboardingCheck {
  agent_type: string
  steps: number
  fields: number
}

export type ParsedCatalog =
  | { ok: true; catalog: Catalog; onboarding: OnboardingCheck[] }
  | { ok: false; problems: string[] }

const KIND_LABEL: Record<CatalogKind, string> = {
  plans: 'plan',
  agent_types: 'agent type',
  billing_settings: 'billing setting',
  integration_providers: 'integration provider',
}

/** Where a problem is, in the catalog's own words: `plan "starter": price_cents`. */
function describePath(raw: unknown, path: readonly PropertyKey[]): string {
  const [kind, index, ...rest] = path
  if (typeof kind !== 'string' || !(kind in KIND_LABEL) || index === undefined) return path.join('.') || 'catalog'
  const label = KIND_LABEL[kind as CatalogKind]
  const item = (raw as Record<string, unknown>)[kind]
  const name =
    typeof index === 'number'
      ? ((Array.isArray(item) && (item[index] as { slug?: unknown } | undefined)?.slug) ?? `#${index + 1}`)
      : String(index)
  return `${label} "${String(name)}"${rest.length > 0 ? `: ${rest.join('.')}` : ''}`
}

function duplicates(values: (string | null)[]) {
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (const value of values) {
    if (value === null) continue
    if (seen.has(value)) repeated.add(value)
    seen.add(value)
  }
  return [...repeated]
}

/** The catalog a parsed JSON document describes, or every problem found, each naming the item and field. */
export function parseCatalog(raw: unknown): ParsedCatalog {
  const parsed = catalogSchema.safeParse(raw)
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${describePath(raw, issue.path)}: ${issue.message}`)
  const rawTypes = (raw as { agent_types?: unknown })?.agent_types
  const onboarding: OnboardingCheck[] = []
  if (Array.isArray(rawTypes)) {
    rawTypes.forEach((type: { slug?: unknown; onboarding_schema?: unknown }, i) => {
      if (!type || typeof type !== 'object' || type.onboarding_schema === undefined) return
      const name = typeof type.slug === 'string' ? type.slug : `#${i + 1}`
      const wizard = parseWizard(type.onboarding_schema)
      if (wizard.ok) {
        const fields = wizard.wizard.steps.reduce((n, s) => n + (s.kind === 'fields' ? s.fields.length : 0), 0)
        onboarding.push({ agent_type: name, steps: wizard.wizard.steps.length, fields })
      } else {
        for (const problem of wizard.problems) problems.push(`agent type "${name}": onboarding_schema ${problem}`)
      }
    })
  }
  if (parsed.success) {
    const { plans, agent_types, integration_providers } = parsed.data
    for (const [kind, keys] of [
      ['plans', plans.map((p) => p.slug)],
      ['agent_types', agent_types.map((t) => t.slug)],
      ['integration_providers', integration_providers.map((p) => p.slug)],
    ] as const) {
      for (const key of duplicates(keys)) problems.push(`${KIND_LABEL[kind]} "${key}": appears twice`)
    }
    for (const price of duplicates(plans.map((p) => p.stripe_price_id))) {
      problems.push(`stripe_price_id "${price}": used by more than one plan`)
    }
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems }
  return { ok: true, catalog: parsed.data, onboarding }
}

export class CatalogFileError extends Error {
  readonly kind: 'missing' | 'unreadable' | 'invalid'
  readonly problems: string[]
  constructor(message: string, kind: CatalogFileError['kind'], problems: string[] = []) {
    super(message)
    this.kind = kind
    this.problems = problems
  }
}

/** Reads, parses and validates a catalog file; a CatalogFileError says what is wrong with it. */
export async function readCatalogFile(file: string): Promise<{ catalog: Catalog; onboarding: OnboardingCheck[] }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ENOENT') throw new CatalogFileError(`No catalog file at ${file}.`, 'missing')
    throw new CatalogFileError(`Cannot read the catalog file ${file} (${code ?? 'error'}).`, 'unreadable')
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new CatalogFileError(`${file} is not valid JSON: ${(error as Error).message}`, 'invalid', [
      `not JSON: ${(error as Error).message}`,
    ])
  }
  const parsed = parseCatalog(raw)
  if (!parsed.ok) {
    throw new CatalogFileError(
      `${file} is not a valid catalog (${parsed.problems.length} problem${parsed.problems.length === 1 ? '' : 's'}):\n${parsed.problems.map((p) => `  ${p}`).join('\n')}`,
      'invalid',
      parsed.problems,
    )
  }
  return { catalog: parsed.catalog, onboarding: parsed.onboarding }
}

export interface SecretOptions {
  /** ENCRYPTION_KEY's keys: provider client secrets are stored encrypted, so without keys they are skipped. */
  encryptionKeys?: readonly string[]
  env?: Record<string, string | undefined>
}

/** What happens to a provider's client secret: nothing, skipped (no keys to encrypt it), or stored anew. */
export type SecretPlan = { store: false; skipped: boolean } | { store: true; reason: 'new' | 'changed' | 'rotated' }

/**
 * Whether the seed stores the provider's client secret: not when the catalog names none or the stored
 * one already decrypts to it with the current key (keeps seeding idempotent); skipped without keys.
 */
export async function providerSecretPlan(
  provider: CatalogProvider,
  storedCiphertext: string | null,
  options: SecretOptions,
): Promise<SecretPlan> {
  const plaintext = provider.client_secret_env
    ? (options.env ?? process.env)[provider.client_secret_env]
    : provider.client_secret
  if (!plaintext) return { store: false, skipped: false }
  if (!options.encryptionKeys?.length) return { store: false, skipped: true }
  if (!storedCiphertext) return { store: true, reason: 'new' }
  const fernet = createFernet(options.encryptionKeys)
  const current = await fernet.decrypt(storedCiphertext).catch(() => null)
  if (current !== plaintext) return { store: true, reason: 'changed' }
  if ((await fernet.keyIndexOf(storedCiphertext)) !== 0) return { store: true, reason: 'rotated' }
  return { store: false, skipped: false }
}

/** The catalog's items per kind: the key the seed matches by and the column values it writes. */
export function catalogItems(
  catalog: Catalog,
): Record<CatalogKind, { key: string; values: Record<string, unknown> }[]> {
  const pick = (kind: CatalogKind, item: Record<string, unknown>) =>
    Object.fromEntries(CATALOG_TABLES[kind].columns.map((column) => [column, item[column]]))
  return {
    plans: catalog.plans.map((p) => ({ key: p.slug, values: pick('plans', p) })),
    agent_types: catalog.agent_types.map((t) => ({ key: t.slug, values: pick('agent_types', t) })),
    billing_settings: Object.entries(catalog.billing_settings).map(([key, s]) => ({
      key,
      values: pick('billing_settings', s),
    })),
    integration_providers: catalog.integration_providers.map((p) => ({
      key: p.slug,
      values: pick('integration_providers', p),
    })),
  }
}

export type DatabaseRow = Record<string, unknown> & { key: string }
export type CurrentCatalog = Record<CatalogKind, DatabaseRow[]>

/** One SELECT per kind: the key (as `key`), the compared columns, and for providers the stored secret. */
export function currentCatalogQueries(): Record<CatalogKind, string> {
  const query = (kind: CatalogKind, extra: string[] = []) => {
    const { table, key, columns } = CATALOG_TABLES[kind]
    return `SELECT ${key} AS key, ${[...columns, ...extra].join(', ')} FROM ${table} ORDER BY ${key}`
  }
  return {
    plans: query('plans'),
    agent_types: query('agent_types'),
    billing_settings: query('billing_settings'),
    integration_providers: query('integration_providers', ['client_secret']),
  }
}

/** The rows the catalog is compared with, read by whichever driver the caller has. */
export async function readCurrentCatalog(run: (query: string) => Promise<Record<string, unknown>[]>) {
  const queries = currentCatalogQueries()
  const current = {} as CurrentCatalog
  for (const kind of CATALOG_KINDS) current[kind] = (await run(queries[kind])) as DatabaseRow[]
  return current
}

/** A field whose value changes; `field` is a dotted path into JSON columns (`limits.messages`). */
export interface FieldChange {
  field: string
  before?: unknown
  after?: unknown
}

export interface KindDiff {
  added: { key: string; values: Record<string, unknown> }[]
  changed: { key: string; changes: FieldChange[] }[]
  unchanged: string[]
  /** Rows the file does not mention; the seed leaves them as they are. */
  only_in_database: string[]
}

export interface CatalogDiff {
  plans: KindDiff
  agent_types: KindDiff
  billing_settings: KindDiff
  integration_providers: KindDiff
  /** Providers whose client secret would not be stored because ENCRYPTION_KEY is not set. */
  client_secrets_skipped: string[]
  has_changes: boolean
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** JSON equality as jsonb sees it (key order does not matter). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k], b[k]))
  }
  return false
}

/** The leaves that differ between two JSON values, as dotted paths under `path`. */
function jsonChanges(path: string, before: unknown, after: unknown, out: FieldChange[]) {
  if (sameJson(before, after)) return
  const bothObjects = isPlainObject(before) && isPlainObject(after)
  const bothArrays = Array.isArray(before) && Array.isArray(after)
  if (!bothObjects && !bothArrays) {
    out.push({ field: path, before, after })
    return
  }
  const keys = bothArrays
    ? Array.from({ length: Math.max(before.length, after.length) }, (_, i) => String(i))
    : [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])]
  for (const key of keys) {
    jsonChanges(
      `${path}.${key}`,
      (before as Record<string, unknown>)[key],
      (after as Record<string, unknown>)[key],
      out,
    )
  }
}

const SECRET_LABEL = { new: '(set)', changed: '(changed)', rotated: '(re-encrypted with the current key)' } as const

/**
 * What loading the catalog would add or change, item by item and field by field, and the plan for each
 * provider's client secret (which the seed follows). Never contains a secret, only whether one is set.
 */
export async function diffCatalog(
  catalog: Catalog,
  current: CurrentCatalog,
  options: SecretOptions = {},
): Promise<{ diff: CatalogDiff; secretPlans: Map<string, SecretPlan> }> {
  const items = catalogItems(catalog)
  const secretPlans = new Map<string, SecretPlan>()
  const diff = { client_secrets_skipped: [] as string[], has_changes: false } as CatalogDiff
  for (const kind of CATALOG_KINDS) {
    const rows = new Map(current[kind].map((row) => [String(row.key), row]))
    const fileKeys = new Set(items[kind].map((i) => i.key))
    const kindDiff: KindDiff = {
      added: [],
      changed: [],
      unchanged: [],
      only_in_database: [...rows.keys()].filter((key) => !fileKeys.has(key)).sort(),
    }
    for (const item of items[kind]) {
      const row = rows.get(item.key)
      const changes: FieldChange[] = []
      if (row)
        for (const [column, value] of Object.entries(item.values)) jsonChanges(column, row[column], value, changes)
      const values = { ...item.values }
      if (kind === 'integration_providers') {
        const provider = catalog.integration_providers.find((p) => p.slug === item.key) as CatalogProvider
        const stored = row?.client_secret == null ? null : String(row.client_secret)
        const plan = await providerSecretPlan(provider, stored, options)
        secretPlans.set(item.key, plan)
        if (!plan.store && plan.skipped) diff.client_secrets_skipped.push(item.key)
        if (plan.store) {
          values.client_secret = SECRET_LABEL[plan.reason]
          if (row)
            changes.push({ field: 'client_secret', before: stored ? '(set)' : '(none)', after: values.client_secret })
        }
      }
      if (!row) kindDiff.added.push({ key: item.key, values })
      else if (changes.length > 0) kindDiff.changed.push({ key: item.key, changes })
      else kindDiff.unchanged.push(item.key)
    }
    diff[kind] = kindDiff
    if (kindDiff.added.length > 0 || kindDiff.changed.length > 0) diff.has_changes = true
  }
  return { diff, secretPlans }
}
