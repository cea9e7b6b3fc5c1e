import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedDatabase, startLocalDatabase } from '../../scripts/local-db.ts'
import { applyMigrations } from '../../scripts/migrations.ts'
import { seedFromFile } from '../../scripts/seed.ts'

const KEYS = { encryptionKeys: ['cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='] }
let local: EmbeddedDatabase
let sql: postgres.Sql

beforeAll(async () => {
  local = await startLocalDatabase()
  sql = postgres(local.databaseUrl, { max: 8, onnotice: () => {} })
})
afterAll(async () => {
  await sql.end()
  await local.stop()
})

const snapshot = () =>
  sql`SELECT 'plan' AS kind, slug AS id, updated_at FROM plans
      UNION ALL SELECT 'type', slug, updated_at FROM agent_types
      UNION ALL SELECT 'setting', key, updated_at FROM billing_settings
      UNION ALL SELECT 'provider', slug || ':' || coalesce(client_secret, ''), updated_at FROM integration_providers
      ORDER BY 1, 2`

describe('migrations and the catalog seed', () => {
  it('migrate is idempotent and the seed run twice changes nothing', async () => {
    expect(await applyMigrations(local.databaseUrl)).toBeGreaterThanOrEqual(2)
    expect(await applyMigrations(local.databaseUrl)).toBeGreaterThanOrEqual(2)
    const first = await seedFromFile(local.databaseUrl, undefined, KEYS)
    const before = await snapshot()
    await seedFromFile(local.databaseUrl, undefined, KEYS)
    const after = await snapshot()
    expect(first.plans).toBeGreaterThan(0)
    expect(after).toEqual(before)
    expect(before.length).toBeGreaterThan(5)
  })
})

describe('the embedded database wire server', () => {
  it('keeps concurrent transactions and extended-protocol exchanges apart', async () => {
    await sql`CREATE TABLE IF NOT EXISTS wire_check (id serial PRIMARY KEY, client int NOT NULL)`
    const clients = Array.from({ length: 12 }, () => postgres(local.databaseUrl, { max: 2, onnotice: () => {} }))
    await Promise.all(
      clients.map(async (client, i) => {
        for (let round = 0; round < 5; round++) {
          await client
            .begin(async (tx) => {
              await tx`INSERT INTO wire_check (client) VALUES (${i})`
              const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM wire_check WHERE client = ${i}`
              expect(row?.n).toBe(round + 1)
              if (i % 2 && round === 4) throw new Error('roll back the last round')
            })
            .catch((error: Error) => {
              if (error.message !== 'roll back the last round') throw error
            })
        }
        await client.end()
      }),
    )
    const counts = await sql<{ client: number; n: number }[]>`
      SELECT client, count(*)::int AS n FROM wire_check GROUP BY client ORDER BY client`
    expect(counts).toEqual(Array.from({ length: 12 }, (_, i) => ({ client: i, n: i % 2 ? 4 : 5 })))
  })
})
