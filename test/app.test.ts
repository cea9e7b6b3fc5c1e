import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../src/app'
import { env } from './support/env'
import { call, createExecutionContext } from './support/http'

async function callWithEnv(path: string, overrides: Record<string, unknown>) {
  const app = createApp()
  return app.fetch(new Request(`http://localhost${path}`), { ...env, ...overrides }, createExecutionContext())
}

afterEach(() => vi.restoreAllMocks())

describe('/health', () => {
  it('answers 200 {"status":"ok"} and nothing more (pgvector and the migration level are checked, not told)', async () => {
    const res = await call('/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers a request made without an ExecutionContext (app.request, scripts), closing its database itself', async () => {
    const res = await createApp().fetch(new Request('http://localhost/health'), env)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers 503 "unavailable" when the database cannot be reached; the reason goes to the log', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const res = await callWithEnv('/health', {
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/postgres',
    })
    expect(res.status).toBe(503)
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } }
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE')
    expect(body.error.message).toBe('unavailable')
    expect(body.error.request_id).toBeTruthy()
    const logged = warn.mock.calls.map((call) => String(call[0])).join('\n')
    expect(logged).toContain('health check failed')
    expect(logged).toContain(body.error.request_id)
  })
})

describe('environment validation', () => {
  it.each([
    ['missing', undefined],
    ['short', 'too-short-secret'],
    ['short in a rotation list', `${'x'.repeat(40)},short`],
    ['empty', ' , '],
  ])('rejects a %s service secret with BAD_ENVIRONMENT', async (_label, secret) => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await callWithEnv('/health', { HUB_SERVICE_SECRET: secret })
    expect(res.status).toBe(500)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('BAD_ENVIRONMENT')
    expect(body.error.message).toBe('unavailable')
    const line = String(logged.mock.calls.at(-1)?.[0])
    expect(line).toContain('HUB_SERVICE_SECRET')
    for (const part of (secret ?? '').split(',')) if (part.trim().length > 3) expect(line).not.toContain(part.trim())
  })

  it.each([
    ['missing', undefined],
    ['malformed', 'not-a-fernet-key'],
  ])('rejects a %s encryption key with BAD_ENVIRONMENT', async (_label, key) => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await callWithEnv('/health', { ENCRYPTION_KEY: key })
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(res.status).toBe(500)
    expect(body.error.code).toBe('BAD_ENVIRONMENT')
    expect(body.error.message).toBe('unavailable')
    expect(String(logged.mock.calls.at(-1)?.[0])).toContain('ENCRYPTION_KEY')
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
