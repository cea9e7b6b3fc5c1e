import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { env } from '../support/env'
import { call, createExecutionContext } from '../support/http'

async function callWithEnv(path: string, overrides: Record<string, unknown>) {
  const app = createApp()
  return app.fetch(new Request(`http://localhost${path}`), { ...env, ...overrides }, createExecutionContext())
}

describe('/health', () => {
  it('answers 200 with pgvector and the migration level', async () => {
    const res = await call('/health')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { pgvector: string; migrations: { applied: number; expected: number } }
    expect(body.pgvector).toMatch(/^0\.8\./)
    expect(body.migrations.applied).toBe(body.migrations.expected)
  })

  it('answers 503 in the envelope when the database cannot be reached', async () => {
    const res = await callWithEnv('/health', {
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/postgres',
    })
    expect(res.status).toBe(503)
    const body = (await res.json()) as { error: { code: string; request_id: string } }
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE')
    expect(body.error.request_id).toBeTruthy()
  })
})

describe('environment validation', () => {
  it.each([
    ['missing', undefined],
    ['short', 'too-short-secret'],
    ['short in a rotation list', `${'x'.repeat(40)},short`],
    ['empty', ' , '],
  ])('rejects a %s service secret with BAD_ENVIRONMENT', async (_label, secret) => {
    const res = await callWithEnv('/health', { HUB_SERVICE_SECRET: secret })
    expect(res.status).toBe(500)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('BAD_ENVIRONMENT')
    expect(body.error.message).toContain('HUB_SERVICE_SECRET')
    if (secret) expect(body.error.message).not.toContain(secret.trim() || '@@')
  })

  it.each([
    ['missing', undefined],
    ['malformed', 'not-a-fernet-key'],
  ])('rejects a %s encryption key with BAD_ENVIRONMENT', async (_label, key) => {
    const res = await callWithEnv('/health', { ENCRYPTION_KEY: key })
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(res.status).toBe(500)
    expect(body.error.code).toBe('BAD_ENVIRONMENT')
    expect(body.error.message).toContain('ENCRYPTION_KEY')
  })
})

describe('errors', () => {
  it('answers unknown /api/* routes with 404 in the envelope', async () => {
    const res = await call('/api/does-not-exist')
    expect(res.status).toBe(404)
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } }
    expect(body.error.code).toBe('NOT_FOUND')
    expect(body.error.request_id).toBe(res.headers.get('X-Request-Id'))
  })

  it('answers unknown pages with a readable HTML page', async () => {
    const res = await call('/no-such-page')
    expect(res.status).toBe(404)
    expect(res.headers.get('Content-Type')).toContain('text/html')
    expect(await res.text()).toContain('Page not found')
  })

  it('sends secure headers', async () => {
    const res = await call('/health')
    expect(res.headers.get('Content-Security-Policy')).toContain("script-src 'self'")
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
  })
})
