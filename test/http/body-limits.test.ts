import { describe, expect, it } from 'vitest'
import { bodyLimitRules, DEFAULT_BODY_BYTES } from '../../src/app'
import { MAX_BATCH_BODY_BYTES } from '../../src/billing/rules/usage-report'
import { MAX_WEBHOOK_BODY_BYTES } from '../../src/billing/stripe/verify'
import { MAX_PASTED_TEXT_BODY_BYTES, MAX_UPLOAD_REQUEST_BYTES } from '../../src/knowledge/limits'
import { testDb } from '../support/db'
import { BASE, call, internalHeaders } from '../support/http'
import { signedInCustomer } from '../support/web'

const CHUNK = 64 * 1024

/** A body produced only as it is read, so the test sees how much of it the Worker pulled. */
function lazyBody(total: number) {
  const state = { pulled: 0 }
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled >= total) return controller.close()
        const size = Math.min(CHUNK, total - state.pulled)
        state.pulled += size
        controller.enqueue(new Uint8Array(size).fill(0x61))
      },
    },
    { highWaterMark: 1 },
  )
  return { body, state }
}

type Mode = 'content-length' | 'chunked'

async function post(path: string, size: number, mode: Mode, headers: Record<string, string>) {
  const { body, state } = lazyBody(size)
  const init = {
    method: 'POST',
    body,
    duplex: 'half',
    headers: { Origin: BASE, ...headers, ...(mode === 'content-length' ? { 'Content-Length': String(size) } : {}) },
  }
  const res = await call(path, init as RequestInit)
  return { res, pulled: state.pulled }
}

const form = { 'Content-Type': 'application/x-www-form-urlencoded' }
const multipart = { 'Content-Type': 'multipart/form-data; boundary=----limit' }
const json = { 'Content-Type': 'application/json' }

interface Case {
  route: string
  path: (kbId: string) => string
  limit: number
  api: boolean
  headers: (session: Record<string, string>) => Record<string, string>
}

const cases: Case[] = [
  { route: 'POST /login', path: () => '/login', limit: 16 * 1024, api: false, headers: () => form },
  { route: 'POST /signup', path: () => '/signup', limit: 16 * 1024, api: false, headers: () => form },
  {
    route: 'POST /billing/webhook',
    path: () => '/billing/webhook',
    limit: MAX_WEBHOOK_BODY_BYTES,
    api: true,
    headers: () => ({ ...json, 'Stripe-Signature': 't=1,v1=00' }),
  },
  {
    route: 'POST /api/internal/usage/batch',
    path: () => '/api/internal/usage/batch',
    limit: MAX_BATCH_BODY_BYTES,
    api: true,
    headers: () => ({ ...json, ...internalHeaders() }),
  },
  {
    route: 'POST /api/internal/knowledge/search',
    path: () => '/api/internal/knowledge/search',
    limit: 64 * 1024,
    api: true,
    headers: () => ({ ...json, ...internalHeaders(crypto.randomUUID()) }),
  },
  {
    route: 'POST /knowledge/:id/documents (upload)',
    path: (kb) => `/knowledge/${kb}/documents`,
    limit: MAX_UPLOAD_REQUEST_BYTES,
    api: false,
    headers: (session) => ({ ...multipart, ...session }),
  },
  {
    route: 'POST /knowledge/:id/text',
    path: (kb) => `/knowledge/${kb}/text`,
    limit: MAX_PASTED_TEXT_BODY_BYTES,
    api: false,
    headers: (session) => ({ ...form, ...session }),
  },
  {
    route: 'POST /knowledge/:id (rename, any other form)',
    path: (kb) => `/knowledge/${kb}`,
    limit: DEFAULT_BODY_BYTES,
    api: false,
    headers: (session) => ({ ...form, ...session }),
  },
  {
    route: 'POST /agents/onboarding/:slug/step/:step (wizard)',
    path: () => '/agents/onboarding/any/step/basics',
    limit: DEFAULT_BODY_BYTES,
    api: false,
    headers: (session) => ({ ...form, ...session }),
  },
  {
    route: 'POST /billing/checkout/',
    path: () => '/billing/checkout/',
    limit: DEFAULT_BODY_BYTES,
    api: false,
    headers: (session) => ({ ...form, ...session }),
  },
]

async function signedInHeaders() {
  const { db } = testDb()
  const { web, f, customer } = await signedInCustomer(db)
  const kb = await f.knowledgeBase({ customerId: customer.id })
  const session = {
    Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    'X-CSRF-Token': web.csrf!,
  }
  return { kbId: kb.id, session }
}

describe('body limits', () => {
  it('every limited route is in the table this suite covers', () => {
    expect(new Set(cases.map((c) => c.limit))).toEqual(
      new Set([...bodyLimitRules.map((r) => r.maxBytes), DEFAULT_BODY_BYTES]),
    )
  })

  describe.each(cases)('$route', ({ path, limit, api, headers }) => {
    it.each<Mode>(['content-length', 'chunked'])(
      'refuses a body over the limit with 413 before reading it (%s)',
      async (mode) => {
        const { kbId, session } = await signedInHeaders()
        const size = limit + 2 * CHUNK
        const { res, pulled } = await post(path(kbId), size, mode, headers(session))
        expect(res.status).toBe(413)
        if (api) {
          const body = (await res.json()) as { error: { code: string; message: string; request_id: string } }
          expect(body.error.code).toBe('PAYLOAD_TOO_LARGE')
          expect(body.error.request_id).toBeTruthy()
        } else {
          expect(res.headers.get('Content-Type')).toContain('text/html')
          expect(await res.text()).toMatch(/Too large[\s\S]*The request body is larger than/)
        }
        // A declared length is refused without reading; a chunked body is read only up to the limit.
        if (mode === 'content-length') expect(pulled).toBeLessThanOrEqual(2 * CHUNK)
        else expect(pulled).toBeLessThanOrEqual(limit + 2 * CHUNK)
      },
    )
  })

  it('a body just under a limit is not refused for its size', async () => {
    const email = `under-${crypto.randomUUID()}@example.com`
    const padding = 'x'.repeat(15 * 1024)
    const res = await call('/login', {
      method: 'POST',
      headers: { ...form, Origin: BASE },
      body: new URLSearchParams({ email, password: 'wrong-password', padding }),
    })
    expect(res.status).toBe(401)
  })
})
