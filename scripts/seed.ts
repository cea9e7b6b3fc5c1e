// Loads a catalog file (plans, agent types, billing settings) into a database.
// Idempotent: rows are matched by slug/key and updated in place.
import { readFile } from 'node:fs/promises'
import type { Sql, TransactionSql } from 'postgres'
import { createFernet } from '../src/platform/fernet.ts'
import { connect } from './migrations.ts'
import { parseKeys } from './rotate-keys.ts'

export const DEMO_CATALOG = new URL('../catalog/demo.json', import.meta.url).pathname

interface Catalog {
  plans?: Array<Record<string, unknown> & { slug: string }>
  agent_types?: Array<Record<string, unknown> & { slug: string }>
  billing_settings?: Record<string, { value: unknown; description?: string }>
  integration_providers?: CatalogProvider[]
}

interface CatalogProvider {
  slug: string
  name: string
  authorize_url: string
  token_url: string
  scopes?: string
  client_id: string
  /** The OAuth client secret in plaintext (local stand-ins only), or the name of an env var holding it. */
  client_secret?: string
  client_secret_env?: string
  is_active?: boolean
}

export interface SeedOptions {
  /** ENCRYPTION_KEY's keys: provider client secrets are stored encrypted, so without keys they are skipped. */
  encryptionKeys?: readonly string[]
  env?: Record<string, string | undefined>
}

export async function seedCatalog(sql: Sql, catalog: Catalog, options: SeedOptions = {}) {
  const counts = { plans: 0, agent_types: 0, billing_settings: 0, integration_providers: 0, client_secrets_skipped: 0 }
  await sql.begin(async (tx) => {
    for (const p of catalog.plans ?? []) {
      await tx`
        INSERT INTO plans (slug, name, description, stripe_price_id, price_cents, billing_period, limits, is_active, sort_order)
        VALUES (${p.slug}, ${String(p.name)}, ${String(p.description ?? '')}, ${(p.stripe_price_id as string | null) ?? null},
                ${Number(p.price_cents ?? 0)}, ${String(p.billing_period ?? 'monthly')}, ${tx.json(p.limits as never)},
                ${p.is_active !== false}, ${Number(p.sort_order ?? 0)})
        ON CONFLICT (slug) DO UPDATE SET
          name = excluded.name, description = excluded.description, stripe_price_id = excluded.stripe_price_id,
          price_cents = excluded.price_cents, billing_period = excluded.billing_period, limits = excluded.limits,
          is_active = excluded.is_active, sort_order = excluded.sort_order, updated_at = now()
        WHERE (plans.name, plans.description, plans.stripe_price_id, plans.price_cents, plans.billing_period, plans.limits, plans.is_active, plans.sort_order)
          IS DISTINCT FROM (excluded.name, excluded.description, excluded.stripe_price_id, excluded.price_cents, excluded.billing_period, excluded.limits, excluded.is_active, excluded.sort_order)`
      counts.plans++
    }
    for (const t of catalog.agent_types ?? []) {
      await tx`
        INSERT INTO agent_types (slug, name, description, system_prompt_template, onboarding_schema, is_active)
        VALUES (${t.slug}, ${String(t.name)}, ${String(t.description ?? '')}, ${String(t.system_prompt_template ?? '')},
                ${tx.json(t.onboarding_schema as never)}, ${t.is_active !== false})
        ON CONFLICT (slug) DO UPDATE SET
          name = excluded.name, description = excluded.description, system_prompt_template = excluded.system_prompt_template,
          onboarding_schema = excluded.onboarding_schema, is_active = excluded.is_active, updated_at = now()
        WHERE (agent_types.name, agent_types.description, agent_types.system_prompt_template, agent_types.onboarding_schema, agent_types.is_active)
          IS DISTINCT FROM (excluded.name, excluded.description, excluded.system_prompt_template, excluded.onboarding_schema, excluded.is_active)`
      counts.agent_types++
    }
    for (const [key, setting] of Object.entries(catalog.billing_settings ?? {})) {
      await tx`
        INSERT INTO billing_settings (key, value, description)
        VALUES (${key}, ${tx.json(setting.value as never)}, ${setting.description ?? ''})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, description = excluded.description, updated_at = now()
        WHERE (billing_settings.value, billing_settings.description) IS DISTINCT FROM (excluded.value, excluded.description)`
      counts.billing_settings++
    }
    for (const p of catalog.integration_providers ?? []) {
      const secret = await providerSecret(tx, p, options)
      if (secret === 'skipped') counts.client_secrets_skipped++
      const clientSecret = typeof secret === 'string' && secret !== 'skipped' ? secret : null
      await tx`
        INSERT INTO integration_providers (slug, name, authorize_url, token_url, scopes, client_id, client_secret, is_active)
        VALUES (${p.slug}, ${p.name}, ${p.authorize_url}, ${p.token_url}, ${p.scopes ?? ''}, ${p.client_id},
                ${clientSecret}, ${p.is_active !== false})
        ON CONFLICT (slug) DO UPDATE SET
          name = excluded.name, authorize_url = excluded.authorize_url, token_url = excluded.token_url,
          scopes = excluded.scopes, client_id = excluded.client_id, is_active = excluded.is_active,
          client_secret = COALESCE(excluded.client_secret, integration_providers.client_secret), updated_at = now()
        WHERE (integration_providers.name, integration_providers.authorize_url, integration_providers.token_url,
               integration_providers.scopes, integration_providers.client_id, integration_providers.is_active)
          IS DISTINCT FROM (excluded.name, excluded.authorize_url, excluded.token_url, excluded.scopes,
                            excluded.client_id, excluded.is_active)
          OR excluded.client_secret IS NOT NULL`
      counts.integration_providers++
    }
  })
  return counts
}

/**
 * The Fernet token to store for a provider's client secret: null when the catalog names none or
 * the stored one already decrypts to it (keeps seeding idempotent), 'skipped' without ENCRYPTION_KEY.
 */
async function providerSecret(
  tx: TransactionSql,
  p: CatalogProvider,
  options: SeedOptions,
): Promise<string | null | 'skipped'> {
  const plaintext = p.client_secret_env ? (options.env ?? process.env)[p.client_secret_env] : p.client_secret
  if (!plaintext) return null
  if (!options.encryptionKeys?.length) return 'skipped'
  const fernet = createFernet(options.encryptionKeys)
  const [existing] = await tx<{ client_secret: string | null }[]>`
    SELECT client_secret FROM integration_providers WHERE slug = ${p.slug}`
  if (existing?.client_secret) {
    const current = await fernet.decrypt(existing.client_secret).catch(() => null)
    if (current === plaintext && (await fernet.keyIndexOf(existing.client_secret)) === 0) return null
  }
  return fernet.encrypt(plaintext)
}

/** ENCRYPTION_KEY from the environment, or undefined when it is not set. */
export function encryptionKeysFromEnv(env: Record<string, string | undefined> = process.env) {
  return env.ENCRYPTION_KEY ? parseKeys(env.ENCRYPTION_KEY) : undefined
}

export async function seedFromFile(databaseUrl: string, file = DEMO_CATALOG, options: SeedOptions = {}) {
  const catalog = JSON.parse(await readFile(file, 'utf8')) as Catalog
  const sql = connect(databaseUrl)
  try {
    return await seedCatalog(sql, catalog, options)
  } finally {
    await sql.end()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL
  if (!url) {
    console.error('Set DATABASE_URL to seed. Usage: DATABASE_URL=... npm run seed [-- catalog.json]')
    process.exit(1)
  }
  const counts = await seedFromFile(url, process.argv[2] ?? DEMO_CATALOG, { encryptionKeys: encryptionKeysFromEnv() })
  console.log(
    `Catalog loaded: ${counts.plans} plans, ${counts.agent_types} agent types, ${counts.billing_settings} settings, ${counts.integration_providers} integration providers.`,
  )
  if (counts.client_secrets_skipped > 0) {
    console.log(
      `ENCRYPTION_KEY is not set: ${counts.client_secrets_skipped} provider client secrets were not stored (they are kept encrypted). Set it and seed again.`,
    )
  }
}
