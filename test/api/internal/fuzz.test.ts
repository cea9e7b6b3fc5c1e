import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { billedAgent } from '../../support/billing'
import { testDb } from '../../support/db'
import { ROTATED_SERVICE_SECRET, SERVICE_SECRET } from '../../support/env'
import { call, statementsOf } from '../../support/http'

// Random headers, paths and bodies at every endpoint: never a 5xx, every error in the envelope,
// and never more statements than the endpoint's budget.
const RUNS = 1000

let agent: { id: string; apiKey?: string; apiKeyPrefix: string }
let inactiveId: string

beforeAll(async () => {
  const { db } = testDb()
  agent = (await billedAgent(db, { limits: { messages: 1_000_000_000 } })).agent
  inactiveId = (await billedAgent(db, { agent: { isActive: false } })).agent.id
})

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })

const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(`Bearer ${SERVICE_SECRET}`, `Bearer ${ROTATED_SERVICE_SECRET}`) },
  { weight: 1, arbitrary: printable.map((s) => `Bearer ${s}`) },
  { weight: 1, arbitrary: printable },
)

const agentIdLike = fc.oneof(
  fc.constant('AGENT'),
  fc.constant('INACTIVE'),
  fc.uuid(),
  fc.constant('00000000-0000-0000-0000-000000000000'),
  printable,
)

const resolve = (id: string) => (id === 'AGENT' ? agent.id : id === 'INACTIVE' ? inactiveId : id)

const headersArb = fc.record({
  Authorization: maybe(authorization),
  'X-Agent-Instance-ID': maybe(agentIdLike),
  'X-API-Key': maybe(
    fc.oneof(
      fc.constant('KEY'),
      fc.constant('PREFIX'),
      printable,
      printable.map((s) => `efk_${s}`),
    ),
  ),
  'If-None-Match': maybe(printable),
  'Content-Type': maybe(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', '')),
})

function toHeaders(h: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue
    if (k === 'X-Agent-Instance-ID') out[k] = resolve(v)
    else if (k === 'X-API-Key')
      out[k] = v === 'KEY' ? (agent.apiKey ?? '') : v === 'PREFIX' ? `${agent.apiKeyPrefix}_x` : v
    else out[k] = v
  }
  return out
}

const segment = fc.oneof(agentIdLike.map(resolve), fc.webSegment(), printable.map(encodeURIComponent))

async function expectWellFormed(res: Response, maxStatements: number) {
  expect(res.status).toBeLessThan(500)
  expect(statementsOf(res)).toBeLessThanOrEqual(maxStatements)
  if (res.status === 304) return
  const body = (await res.json()) as { error?: { code: string; message: string; request_id: string } }
  if (res.status >= 400) {
    expect(body.error?.code).toMatch(/^[A-Z_]+$/)
    expect(typeof body.error?.message).toBe('string')
    expect(body.error?.request_id).toBeTruthy()
  }
}

const params = { numRuns: RUNS }

// 1,000 requests per endpoint: with coverage instrumentation on a busy 2-core machine one
// endpoint's run takes longer than the default 20 s.
describe('property: the internal API never fails on what a client sends', { timeout: 120_000 }, () => {
  it('GET /agent/{agent_id}/config', async () => {
    await fc.assert(
      fc.asyncProperty(segment, headersArb, async (seg, h) => {
        const res = await call(`/api/internal/agent/${seg}/config`, { headers: toHeaders(h) })
        await expectWellFormed(res, 1)
      }),
      params,
    )
  })

  it('GET /agent/validate-key', async () => {
    await fc.assert(
      fc.asyncProperty(headersArb, async (h) => {
        const res = await call('/api/internal/agent/validate-key', { headers: toHeaders(h) })
        await expectWellFormed(res, 1)
      }),
      params,
    )
  })

  it('GET /billing/can-respond/{agent_id}', async () => {
    await fc.assert(
      fc.asyncProperty(segment, headersArb, async (seg, h) => {
        const res = await call(`/api/internal/billing/can-respond/${seg}`, { headers: toHeaders(h) })
        await expectWellFormed(res, 1)
      }),
      params,
    )
  })

  const metric = fc.oneof(fc.nat(1000), fc.integer(), fc.double(), fc.constant(1e20), printable, fc.constant(null))
  const reportArb = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record(
        {
          agent_instance_id: agentIdLike.map(resolve),
          timestamp: fc.oneof(
            fc.constant('NOW'),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            printable,
          ),
          metrics: fc.oneof(
            fc.record({ messages: metric, input_tokens: metric, output_tokens: metric }, { requiredKeys: [] }),
            fc.anything(),
          ),
          request_id: fc.oneof(fc.uuid(), printable, fc.integer(), fc.string({ unit: 'binary', maxLength: 20 })),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.anything() },
  )
  const body = fc.oneof(
    { weight: 4, arbitrary: fc.array(reportArb, { maxLength: 8 }).map((reports) => JSON.stringify({ reports })) },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: printable },
  )

  it('POST /usage/batch', async () => {
    await fc.assert(
      fc.asyncProperty(body, headersArb, async (b, h) => {
        const res = await call('/api/internal/usage/batch', {
          method: 'POST',
          headers: toHeaders(h),
          body: b.replaceAll('"NOW"', JSON.stringify(new Date().toISOString())),
        })
        await expectWellFormed(res, 6)
      }),
      params,
    )
  })
})
