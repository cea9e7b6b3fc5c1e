import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { customerUsers } from '../../src/db/schema'
import { createLogger, REDACTED, redact } from '../../src/platform/logger'
import { testDb } from '../support/db'
import { factories, uniq } from '../support/factories'

afterEach(() => vi.restoreAllMocks())

describe('structured logs', () => {
  it('write one JSON line with the level, message and fields', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    createLogger({ request_id: 'r1' }).info('hello', { path: '/x' })
    const line = JSON.parse(log.mock.calls[0]![0] as string)
    expect(line).toMatchObject({ level: 'info', message: 'hello', request_id: 'r1', path: '/x' })
  })

  it('drop messages below the configured level', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    createLogger({}, 'warn').info('quiet')
    expect(log).not.toHaveBeenCalled()
  })

  it('redact secret-named fields and secret-looking values, also inside errors', () => {
    const secrets = {
      authorization: 'Bearer abc.def',
      nested: { stripe_signature: 't=1,v1=abc', password: 'hunter2' },
      note: 'key efk_AbC123_secretpart and sk_test_123abc and whsec_abc and gAAAAABlongfernettoken0123456789abcdef',
      url: 'postgres://user:pw@host/db',
      error: new Error('failed with Bearer topsecret-token'),
    }
    const text = JSON.stringify(redact(secrets))
    for (const leaked of [
      'abc.def',
      'hunter2',
      'secretpart',
      'sk_test_123abc',
      'whsec_abc',
      'gAAAAABlong',
      'user:pw',
      'topsecret',
    ]) {
      expect(text).not.toContain(leaked)
    }
    expect(text).toContain(REDACTED)
  })
})

describe('failed SQL statements in logs', () => {
  const lineOf = (spy: { mock: { calls: unknown[][] } }) => String(spy.mock.calls.at(-1)![0])

  it('never carry the parameters: not from drizzle, not from the Postgres message, detail or stack', async () => {
    const { db } = testDb()
    const email = `Leak.${uniq()}@example.com`
    const hash = `pbkdf2-sha256$100000$${uniq()}$secret-hash-${uniq()}`
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const logger = createLogger({})

    const user = await factories(db).customerUser({ email })
    const duplicate = await db
      .insert(customerUsers)
      .values({ customerId: user.customerId, email, passwordHash: hash, role: 'admin' })
      .catch((e: unknown) => e)
    expect(duplicate).toBeInstanceOf(Error)
    // The error itself does carry them (that is what must not reach a log).
    expect(
      `${(duplicate as Error).message} ${JSON.stringify((duplicate as Error).cause, Object.getOwnPropertyNames((duplicate as Error).cause))}`,
    ).toContain(email)
    logger.error('insert failed', { error: duplicate })
    const unique = lineOf(spy)

    const badUuid = await db.execute(sql`SELECT id FROM customers WHERE id = ${email}::uuid`).catch((e: unknown) => e)
    logger.error('select failed', { error: badUuid })
    const syntax = lineOf(spy)
    spy.mockRestore()

    for (const line of [unique, syntax]) {
      expect(line).not.toContain(email)
      expect(line.toLowerCase()).not.toContain(email.toLowerCase())
      expect(line).not.toContain(hash)
      expect(line).toContain('Failed query')
    }
    const parsed = JSON.parse(unique) as { error: { cause: { code: string; constraint?: string } } }
    expect(parsed.error.cause.code).toBe('23505')
    expect(JSON.parse(syntax).error.cause.code).toBe('22P02')
  })

  it('drop params from any object, and keep the SQL text', () => {
    const text = JSON.stringify(
      redact({
        error: Object.assign(new Error('Failed query: select 1 where email = $1\nparams: bob@example.com'), {
          query: 'select 1 where email = $1',
          params: ['bob@example.com'],
        }),
        context: { params: ['bob@example.com'] },
      }),
    )
    expect(text).not.toContain('bob@example.com')
    expect(text).toContain('select 1 where email = $1')
  })
})
