// Spec section 10.1 (OAuth token encryption), adapted: Django's EncryptedTextField is the
// `encryptedText` Drizzle column, `refresh_from_db` is reading the row through the domain.
import { inspect } from 'node:util'
import { eq, getTableColumns, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { isEncrypted } from '../../src/db/encrypted-column'
import * as schema from '../../src/db/schema'
import { integrations } from '../../src/db/schema'
import { envSchema } from '../../src/env'
import { readIntegration } from '../../src/integrations/queries'
import { SECRET_COLUMNS } from '../../src/integrations/secret-columns'
import { Secret } from '../../src/integrations/secret-value'
import { decryptSecret, encryptNullable, encryptSecret } from '../../src/integrations/secrets'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories } from '../support/factories'
import { recordingLogger } from '../support/integrations'

const keys = () => testConfig().ENCRYPTION_KEY

async function rawColumn(db: ReturnType<typeof testDb>['db'], column: 'access_token' | 'refresh_token', id: string) {
  const result = await db.execute(sql`SELECT ${sql.identifier(column)} AS value FROM integrations WHERE id = ${id}`)
  return (result.rows[0] as { value: string | null }).value
}

async function reload(db: ReturnType<typeof testDb>['db'], row: { id: string; customerId: string }) {
  const logger = recordingLogger()
  const integration = await readIntegration(db, { keys: keys(), logger }, row.customerId, row.id)
  if (!integration) throw new Error('integration vanished')
  return { integration, logger }
}

describe('token encryption at rest', () => {
  it('ENCRYPTION_KEY is configured with at least one valid Fernet key', () => {
    expect(keys().length).toBeGreaterThanOrEqual(1)
    for (const key of keys()) expect(key.length).toBeGreaterThanOrEqual(32)
  })

  it('a missing or malformed ENCRYPTION_KEY is refused by the environment schema', () => {
    const base = { DATABASE_URL: 'postgres://x@y/z', HUB_SERVICE_SECRET: 'x'.repeat(32) }
    expect(envSchema.safeParse(base).success).toBe(false)
    expect(envSchema.safeParse({ ...base, ENCRYPTION_KEY: 'not-a-key' }).success).toBe(false)
    expect(envSchema.safeParse({ ...base, ENCRYPTION_KEY: `${keys()[0]},short` }).success).toBe(false)
    expect(envSchema.safeParse({ ...base, ENCRYPTION_KEY: keys()[0] }).success).toBe(true)
  })

  it('stores the access token encrypted; the model decrypts it', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ accessToken: 'test_plaintext_token_12345' })
    const raw = await rawColumn(db, 'access_token', row.id)
    expect(raw).not.toBe('test_plaintext_token_12345')
    expect(raw).not.toContain('test_plaintext_token_12345')
    expect(raw?.startsWith('gAAAAA')).toBe(true)
    const { integration } = await reload(db, row)
    expect(integration.accessToken?.reveal()).toBe('test_plaintext_token_12345')
  })

  it('stores the refresh token encrypted', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ refreshToken: 'test_refresh_token_67890' })
    const raw = await rawColumn(db, 'refresh_token', row.id)
    expect(raw).not.toBe('test_refresh_token_67890')
    expect(raw?.startsWith('gAAAAA')).toBe(true)
    expect((await reload(db, row)).integration.refreshToken?.reveal()).toBe('test_refresh_token_67890')
  })

  it('the same token stored twice has two different raw values (random IV)', async () => {
    const { db } = testDb()
    const f = factories(db)
    const [one, two] = [
      await f.integration({ accessToken: 'same_token_value' }),
      await f.integration({ accessToken: 'same_token_value' }),
    ]
    const [rawOne, rawTwo] = [await rawColumn(db, 'access_token', one.id), await rawColumn(db, 'access_token', two.id)]
    expect(rawOne?.startsWith('gAAAAA') && rawTwo?.startsWith('gAAAAA')).toBe(true)
    expect(rawOne).not.toBe(rawTwo)
  })

  it('encrypt/decrypt round-trips; two encryptions of one value differ', async () => {
    const logger = recordingLogger()
    const row = { table: 'integrations', column: 'access_token', id: 'x' }
    const encrypted = await encryptSecret(keys(), 'sensitive_oauth_token_abc123')
    expect(encrypted).not.toBe('sensitive_oauth_token_abc123')
    expect(await decryptSecret(keys(), encrypted, { logger, row })).toBe('sensitive_oauth_token_abc123')
    expect(await encryptSecret(keys(), 'sensitive_oauth_token_abc123')).not.toBe(encrypted)
  })

  it('empty tokens round-trip as empty strings', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ accessToken: '', refreshToken: '' })
    expect((await rawColumn(db, 'access_token', row.id))?.startsWith('gAAAAA')).toBe(true)
    const { integration, logger } = await reload(db, row)
    expect(integration.accessToken?.reveal()).toBe('')
    expect(integration.refreshToken?.reveal()).toBe('')
    expect(logger.lines).toEqual([])
  })

  it('null tokens round-trip as null', async () => {
    const { db } = testDb()
    const row = await factories(db).integration()
    await db
      .update(integrations)
      .set({ accessToken: await encryptNullable(keys(), null) })
      .where(eq(integrations.id, row.id))
    expect(await rawColumn(db, 'access_token', row.id)).toBeNull()
    const { integration, logger } = await reload(db, row)
    expect(integration.accessToken).toBeNull()
    expect(integration.refreshToken).toBeInstanceOf(Secret)
    expect(logger.lines).toEqual([])
  })

  it('invalid ciphertext reads as "" and logs a warning naming the row, not the value', async () => {
    const logger = recordingLogger()
    const row = { table: 'integrations', column: 'access_token', id: 'row-1' }
    expect(await decryptSecret(keys(), 'invalid_not_fernet_data', { logger, row })).toBe('')
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatchObject({ level: 'warn', fields: { table: 'integrations', row_id: 'row-1' } })
    expect(JSON.stringify(logger.lines)).not.toContain('invalid_not_fernet_data')
  })

  it('a stored token under a key no longer configured reads as "" with a warning for that row', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ accessToken: 'tok_under_lost_key' })
    const { createFernet, generateFernetKey } = await import('../../src/platform/fernet')
    const foreign = await createFernet(generateFernetKey()).encrypt('tok_under_lost_key')
    await db.execute(sql`UPDATE integrations SET access_token = ${foreign} WHERE id = ${row.id}`)
    const { integration, logger } = await reload(db, row)
    expect(integration.accessToken?.reveal()).toBe('')
    expect(logger.lines).toMatchObject([{ level: 'warn', fields: { row_id: row.id, column: 'access_token' } }])
    expect(JSON.stringify(logger.lines)).not.toContain(foreign)
  })

  it('the column type refuses to write a plaintext secret', async () => {
    const { db } = testDb()
    const row = await factories(db).integration()
    const plaintext = 'oops_plaintext' as unknown as Awaited<ReturnType<typeof encryptSecret>>
    await expect(
      db.update(integrations).set({ accessToken: plaintext }).where(eq(integrations.id, row.id)),
    ).rejects.toThrow(/unencrypted/)
    expect(isEncrypted(await rawColumn(db, 'access_token', row.id))).toBe(true)
  })

  it('every secret column in the schema is encryptedText, and the rotation list names exactly those', () => {
    const found: string[] = []
    for (const table of Object.values(schema)) {
      if (!table || typeof table !== 'object' || !(Symbol.for('drizzle:IsDrizzleTable') in table)) continue
      const tableName = (table as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')]
      for (const column of Object.values(getTableColumns(table as typeof integrations))) {
        let refusesPlaintext = false
        try {
          column.mapToDriverValue('plaintext')
        } catch (error) {
          refusesPlaintext = /unencrypted secret/.test(String(error))
        }
        if (refusesPlaintext) found.push(`${tableName}.${column.name}`)
      }
    }
    expect(found.sort()).toEqual(SECRET_COLUMNS.map((c) => `${c.table}.${c.column}`).sort())
    for (const name of [
      'integrations.access_token',
      'integrations.refresh_token',
      'integration_providers.client_secret',
    ]) {
      expect(found).toContain(name)
    }
  })
})

describe('credential security (spec 10.1 TestCredentialSecurity)', () => {
  it('tokens are not in the string form or the inspected form of the model', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ accessToken: 'secret_token_xyz', refreshToken: 'secret_refresh_abc' })
    const { integration } = await reload(db, row)
    for (const printed of [
      String(integration),
      `${integration}`,
      inspect(integration),
      inspect(integration, { showHidden: true, depth: 9 }),
    ]) {
      expect(printed).not.toContain('secret_token_xyz')
      expect(printed).not.toContain('secret_refresh_abc')
    }
    expect(String(integration)).toContain(row.id)
    expect(inspect(integration.accessToken)).toBe('[secret]')
    expect(`${integration.accessToken}`).toBe('[secret]')
  })

  it('tokens are not in JSON of the model, nor in JSON of the raw row', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ accessToken: 'secret_in_json', refreshToken: 'refresh_in_json' })
    const { integration } = await reload(db, row)
    const json = JSON.stringify(integration)
    expect(json).not.toContain('secret_in_json')
    expect(json).not.toContain('refresh_in_json')
    expect(json).not.toContain('gAAAAA')
    expect(JSON.parse(json)).toMatchObject({ id: row.id, account_id: row.accountId, connected: true })
    const rawJson = JSON.stringify(await db.select().from(integrations).where(eq(integrations.id, row.id)))
    expect(rawJson).not.toContain('secret_in_json')
    expect(rawJson).not.toContain('refresh_in_json')
  })

  it('console output of the model shows no token', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ accessToken: 'console_secret_1' })
    const { integration } = await reload(db, row)
    const printed: string[] = []
    const original = console.log
    console.log = (...args: unknown[]) => void printed.push(args.map((a) => inspect(a)).join(' '))
    try {
      console.log(integration, integration.accessToken, { nested: integration })
    } finally {
      console.log = original
    }
    expect(printed.join('\n')).not.toContain('console_secret_1')
  })
})
