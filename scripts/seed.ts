// Loads a catalog file (plans, agent types, billing settings) into a database.
// Idempotent: rows are matched by slug/key and updated in place.
import { readFile } from 'node:fs/promises'
import type { Sql } from 'postgres'
import { connect } from './migrations.ts'

export const DEMO_CATALOG = new URL('../catalog/demo.json', import.meta.url).pathname

interface Catalog {
  plans?: Array<Record<string, unknown> & { slug: string }>
  agent_types?: Array<Record<string, unknown> & { slug: string }>
  billing_settings?: Record<string, { value: unknown; description?: string }>
}

export async function seedCatalog(sql: Sql, catalog: Catalog) {
  const counts = { plans: 0, agent_types: 0, billing_settings: 0 }
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
  })
  return counts
}

export async function seedFromFile(databaseUrl: string, file = DEMO_CATALOG) {
  const catalog = JSON.parse(await readFile(file, 'utf8')) as Catalog
  const sql = connect(databaseUrl)
  try {
    return await seedCatalog(sql, catalog)
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
  const counts = await seedFromFile(url, process.argv[2] ?? DEMO_CATALOG)
  console.log(
    `Catalog loaded: ${counts.plans} plans, ${counts.agent_types} agent types, ${counts.billing_settings} settings.`,
  )
}
