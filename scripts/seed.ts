// Loads a catalog file (plans, agent types, billing settings, integration providers) into a database.
// Idempotent: rows are matched by slug/key; only what `ops catalog diff` reports as added or changed
// is written (both use scripts/catalog.ts), so an unchanged item keeps its updated_at.
import type { Sql } from 'postgres'
import { createFernet } from '../src/platform/fernet.ts'
import {
  type Catalog,
  CatalogFileError,
  diffCatalog,
  readCatalogFile,
  readCurrentCatalog,
  type SecretOptions,
} from './catalog.ts'
import { connect } from './migrations.ts'
import { parseKeys } from './rotate-keys.ts'

export const DEMO_CATALOG = new URL('../catalog/demo.json', import.meta.url).pathname

export type SeedOptions = SecretOptions

export async function seedCatalog(sql: Sql, catalog: Catalog, options: SeedOptions = {}) {
  const counts = {
    plans: catalog.plans.length,
    agent_types: catalog.agent_types.length,
    billing_settings: Object.keys(catalog.billing_settings).length,
    integration_providers: catalog.integration_providers.length,
    client_secrets_skipped: 0,
    written: 0,
  }
  await sql.begin(async (tx) => {
    const current = await readCurrentCatalog((query) => tx.unsafe(query))
    const { diff, secretPlans } = await diffCatalog(catalog, current, options)
    counts.client_secrets_skipped = diff.client_secrets_skipped.length
    const toWrite = (kind: keyof typeof current) =>
      new Set([...diff[kind].added.map((i) => i.key), ...diff[kind].changed.map((i) => i.key)])

    const plans = toWrite('plans')
    for (const p of catalog.plans.filter((p) => plans.has(p.slug))) {
      await tx`
        INSERT INTO plans (slug, name, description, stripe_price_id, price_cents, billing_period, limits, is_active, sort_order)
        VALUES (${p.slug}, ${p.name}, ${p.description}, ${p.stripe_price_id}, ${p.price_cents}, ${p.billing_period},
                ${tx.json(p.limits as never)}, ${p.is_active}, ${p.sort_order})
        ON CONFLICT (slug) DO UPDATE SET
          name = excluded.name, description = excluded.description, stripe_price_id = excluded.stripe_price_id,
          price_cents = excluded.price_cents, billing_period = excluded.billing_period, limits = excluded.limits,
          is_active = excluded.is_active, sort_order = excluded.sort_order, updated_at = now()`
      counts.written++
    }
    const types = toWrite('agent_types')
    for (const t of catalog.agent_types.filter((t) => types.has(t.slug))) {
      await tx`
        INSERT INTO agent_types (slug, name, description, system_prompt_template, onboarding_schema, is_active)
        VALUES (${t.slug}, ${t.name}, ${t.description}, ${t.system_prompt_template},
                ${tx.json(t.onboarding_schema as never)}, ${t.is_active})
        ON CONFLICT (slug) DO UPDATE SET
          name = excluded.name, description = excluded.description, system_prompt_template = excluded.system_prompt_template,
          onboarding_schema = excluded.onboarding_schema, is_active = excluded.is_active, updated_at = now()`
      counts.written++
    }
    const settings = toWrite('billing_settings')
    for (const [key, setting] of Object.entries(catalog.billing_settings).filter(([key]) => settings.has(key))) {
      await tx`
        INSERT INTO billing_settings (key, value, description)
        VALUES (${key}, ${tx.json(setting.value as never)}, ${setting.description})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, description = excluded.description, updated_at = now()`
      counts.written++
    }
    const providers = toWrite('integration_providers')
    for (const p of catalog.integration_providers.filter((p) => providers.has(p.slug))) {
      const plan = secretPlans.get(p.slug)
      const clientSecret = plan?.store ? await encryptedSecret(p, options) : null
      await tx`
        INSERT INTO integration_providers (slug, name, authorize_url, token_url, scopes, client_id, client_secret, is_active)
        VALUES (${p.slug}, ${p.name}, ${p.authorize_url}, ${p.token_url}, ${p.scopes}, ${p.client_id},
                ${clientSecret}, ${p.is_active})
        ON CONFLICT (slug) DO UPDATE SET
          name = excluded.name, authorize_url = excluded.authorize_url, token_url = excluded.token_url,
          scopes = excluded.scopes, client_id = excluded.client_id, is_active = excluded.is_active,
          client_secret = COALESCE(excluded.client_secret, integration_providers.client_secret), updated_at = now()`
      counts.written++
    }
  })
  return counts
}

/** The Fernet token of the provider's client secret (called only when providerSecretPlan says to store it). */
async function encryptedSecret(p: Catalog['integration_providers'][number], options: SeedOptions) {
  const plaintext = p.client_secret_env ? (options.env ?? process.env)[p.client_secret_env] : p.client_secret
  if (!plaintext || !options.encryptionKeys?.length) return null
  return createFernet(options.encryptionKeys).encrypt(plaintext)
}

/** ENCRYPTION_KEY from the environment, or undefined when it is not set. */
export function encryptionKeysFromEnv(env: Record<string, string | undefined> = process.env) {
  return env.ENCRYPTION_KEY ? parseKeys(env.ENCRYPTION_KEY) : undefined
}

/** Seeds from a file; a CatalogFileError (missing, not JSON, invalid) is thrown before connecting. */
export async function seedFromFile(databaseUrl: string, file = DEMO_CATALOG, options: SeedOptions = {}) {
  const { catalog } = await readCatalogFile(file)
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
  const file = process.argv[2] ?? DEMO_CATALOG
  const counts = await seedFromFile(url, file, { encryptionKeys: encryptionKeysFromEnv() }).catch((error) => {
    if (!(error instanceof CatalogFileError)) throw error
    console.error(`${error.message}\nNothing was loaded.`)
    process.exit(1)
  })
  console.log(
    `Catalog loaded: ${counts.plans} plans, ${counts.agent_types} agent types, ${counts.billing_settings} settings, ${counts.integration_providers} integration providers (${counts.written} added or changed).`,
  )
  if (counts.client_secrets_skipped > 0) {
    console.log(
      `ENCRYPTION_KEY is not set: ${counts.client_secrets_skipped} provider client secrets were not stored (they are kept encrypted). Set it and seed again.`,
    )
  }
}
