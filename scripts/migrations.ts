// Applies the committed drizzle-kit migrations to a database (the local one or Neon).
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'

export const MIGRATIONS_FOLDER = new URL('../migrations', import.meta.url).pathname

export function connect(databaseUrl: string) {
  return postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 })
}

export async function applyMigrations(databaseUrl: string) {
  const client = connect(databaseUrl)
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER })
    const [row] = await client<{ count: string }[]>`SELECT count(*) FROM drizzle.__drizzle_migrations`
    return Number(row?.count ?? 0)
  } finally {
    await client.end()
  }
}
