// `npm run keys:rotate` (scripts/rotate-keys.ts) runs rotateSecrets over postgres.js; here it
// runs over the app's driver with a store limited to this test's rows (other tests share the tables).
import { type SQL, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { type ColumnReport, rotateSecrets, type SecretStore } from '../../src/integrations/rotate-keys'
import { createFernet, generateFernetKey } from '../../src/platform/fernet'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories } from '../support/factories'

type Db = ReturnType<typeof testDb>['db']

function scopedStore(db: Db, ids: string[]): SecretStore {
  const idList = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )
  const run = (query: SQL) => db.execute(query)
  return {
    async *scan(table, column) {
      const col = sql.identifier(column)
      const result = await run(
        sql`SELECT id::text AS id, ${col} AS value FROM ${sql.identifier(table)} WHERE ${col} IS NOT NULL AND id::text IN (${idList})`,
      )
      yield result.rows as Array<{ id: string; value: string }>
    },
    async replace(table, column, id, previous, next) {
      const col = sql.identifier(column)
      const result = await run(
        sql`UPDATE ${sql.identifier(table)} SET ${col} = ${next} WHERE id::text = ${id} AND ${col} = ${previous}`,
      )
      return result.rowCount === 1
    },
  }
}

async function raw(db: Db, id: string) {
  const result = await db.execute(sql`SELECT access_token, refresh_token FROM integrations WHERE id = ${id}`)
  return result.rows[0] as { access_token: string | null; refresh_token: string | null }
}

const byColumn = (reports: ColumnReport[], name: string) => reports.find((r) => `${r.table}.${r.column}` === name)!

describe('key rotation', () => {
  it('re-encrypts every secret under the first key, leaves current ones, reports unreadable ones by id', async () => {
    const { db } = testDb()
    const f = factories(db)
    const oldKey = testConfig().ENCRYPTION_KEY[0]!
    const newKey = generateFernetKey()
    const provider = await f.integrationProvider({ clientSecret: 'provider-client-secret' })
    const row = await f.integration({ providerId: provider.id, accessToken: 'at-rotate', refreshToken: 'rt-rotate' })
    const lost = await f.integration({ accessToken: 'at-lost' })
    const foreign = await createFernet(generateFernetKey()).encrypt('under a key nobody has')
    await db.execute(sql`UPDATE integrations SET access_token = ${foreign} WHERE id = ${lost.id}`)
    const store = scopedStore(db, [provider.id, row.id, lost.id])
    const before = await raw(db, row.id)

    const dry = await rotateSecrets(store, [newKey, oldKey], { dryRun: true })
    expect(byColumn(dry, 'integrations.access_token').rotated).toBe(1)
    expect(await raw(db, row.id)).toEqual(before)

    const reports = await rotateSecrets(store, [newKey, oldKey])
    expect(byColumn(reports, 'integrations.access_token')).toMatchObject({ rotated: 1, unreadable: [lost.id] })
    expect(byColumn(reports, 'integrations.refresh_token')).toMatchObject({ rotated: 2, unreadable: [] })
    expect(byColumn(reports, 'integration_providers.client_secret')).toMatchObject({ rotated: 1 })
    expect(JSON.stringify(reports)).not.toContain(foreign)

    const after = await raw(db, row.id)
    expect(after.access_token).not.toBe(before.access_token)
    expect(after.access_token!.startsWith('gAAAAA')).toBe(true)
    const onlyNew = createFernet(newKey)
    expect(await onlyNew.decrypt(after.access_token!)).toBe('at-rotate')
    expect(await onlyNew.decrypt(after.refresh_token!)).toBe('rt-rotate')
    const [secret] = (await db.execute(sql`SELECT client_secret FROM integration_providers WHERE id = ${provider.id}`))
      .rows as Array<{ client_secret: string }>
    expect(await onlyNew.decrypt(secret!.client_secret)).toBe('provider-client-secret')
    expect((await raw(db, lost.id)).access_token).toBe(foreign)

    const again = await rotateSecrets(store, [newKey, oldKey])
    expect(byColumn(again, 'integrations.access_token')).toMatchObject({ rotated: 0, current: 1 })
  })

  it('a value changed between read and write is skipped, not overwritten', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ refreshToken: null })
    const store = scopedStore(db, [row.id])
    const racing: SecretStore = { scan: store.scan, replace: async () => false }
    const reports = await rotateSecrets(racing, [generateFernetKey(), testConfig().ENCRYPTION_KEY[0]!])
    expect(byColumn(reports, 'integrations.access_token')).toMatchObject({ rotated: 0, skipped: 1 })
  })
})
