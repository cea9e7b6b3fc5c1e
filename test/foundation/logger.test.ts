import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger, REDACTED, redact } from '../../src/platform/logger'

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
