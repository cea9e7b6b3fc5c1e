// The three per-message calls served at the edge with the production timings: where each answer
// comes from, what it costs in statements, how old it says it is, and what happens when the
// customer's object or Postgres is gone. Runs on PGlite and on the real PostgreSQL.
import { afterEach, describe, expect, inject, it } from 'vitest'
import '../support/provided'
import { issueApiKey } from '../../src/agents/api-keys'
import { FRESHNESS } from '../../src/edge/freshness'
import type { Bindings } from '../../src/types'
import { billedAgent } from '../support/billing'
import { testDb } from '../support/db'
import { edgeRuntime, hotCalls, timeUntil } from '../support/edge'
import { internalHeaders } from '../support/http'

const control = inject('databaseControlUrl')
const databaseDown = () => fetch(`${control}/outage`, { method: 'POST' })
const databaseUp = () => fetch(`${control}/recovery`, { method: 'POST' })
afterEach(databaseUp)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ageOf = (body: Record<string, unknown>) => Date.now() - Date.parse(String(body.as_of))

async function agentWithKey() {
  const { db } = testDb()
  const billed = await billedAgent(db, { limits: { messages: 1000, tokens: 1_000_000 } })
  return { db, key: billed.agent.apiKey as string, ...billed }
}

describe('the hot path at the edge', () => {
  const edge = hotCalls(edgeRuntime())

  it('answers from Postgres for an agent the isolate has not seen, then from the object, then from memory with 0 statements', async () => {
    const { agent, key } = await agentWithKey()
    const first = await edge.canRespond(agent.id)
    expect([first.status, first.source, first.statements]).toEqual([200, 'db', 1])
    const second = await edge.canRespond(agent.id)
    expect([second.status, second.source, second.statements]).toEqual([200, 'do', 1]) // the object loads
    const third = await edge.canRespond(agent.id)
    expect([third.status, third.source, third.statements]).toEqual([200, 'l1', 0])
    expect(third.res.headers.get('Server-Timing')).not.toContain('db;')
    for (const a of [first, second, third]) {
      expect(a.body).toMatchObject({ allowed: true, agent_id: agent.id, usage_remaining: { messages: 1000 } })
      expect(ageOf(a.body)).toBeGreaterThanOrEqual(0)
      expect(ageOf(a.body)).toBeLessThan(FRESHNESS.isolateTtlMs + 1_000)
    }

    const config = await edge.config(agent.id)
    expect([config.status, config.source, config.statements]).toEqual([200, 'l1', 0])
    expect(config.body).toMatchObject({ agent_id: agent.id, billing: { can_respond: true } })
    expect(typeof config.body.as_of).toBe('string')

    const keys = [await edge.validateKey(key), await edge.validateKey(key), await edge.validateKey(key)]
    expect(keys.map((k) => [k.source, k.statements])).toEqual([
      ['db', 1],
      ['do', 0], // the object is loaded already
      ['l1', 0],
    ])
    for (const k of keys) expect(k.body).toMatchObject({ valid: true, agent_instance_id: agent.id })
  })

  it('keeps an answer in memory at most the isolate lifetime, then asks the object (which needs no statement while its copy is young)', async () => {
    const { agent } = await agentWithKey()
    await edge.config(agent.id)
    await edge.config(agent.id)
    expect((await edge.config(agent.id)).source).toBe('l1')
    await sleep(FRESHNESS.isolateTtlMs + 100)
    const later = await edge.config(agent.id)
    expect([later.source, later.statements]).toEqual(['do', 0])
  })

  it('answers 304 to a matching If-None-Match from memory', async () => {
    const { agent } = await agentWithKey()
    const runtime = edgeRuntime()
    const first = await hotCalls(runtime).config(agent.id)
    const etag = first.res.headers.get('ETag') as string
    await hotCalls(runtime).config(agent.id)
    const res = await runtime.fetch(`/api/internal/agent/${agent.id}/config`, {
      headers: internalHeaders(agent.id, { 'If-None-Match': etag }),
    })
    expect(res.status).toBe(304)
    expect(res.headers.get('Server-Timing')).toContain('cache;desc="l1"')
  })

  it('remembers briefly that an agent or key is unknown', async () => {
    const unknownAgent = crypto.randomUUID()
    const first = await edge.canRespond(unknownAgent)
    expect([first.status, first.source, first.statements]).toEqual([404, 'db', 1])
    const again = await edge.canRespond(unknownAgent)
    expect([again.status, again.source, again.statements]).toEqual([404, 'l1', 0])
    expect((await edge.config(unknownAgent)).status).toBe(401) // X-Agent-Instance-ID names the unknown agent

    const unknownKey = (await issueApiKey()).key
    expect(await edge.validateKey(unknownKey)).toMatchObject({ source: 'db', statements: 1, body: { valid: false } })
    expect(await edge.validateKey(unknownKey)).toMatchObject({ source: 'l1', statements: 0, body: { valid: false } })
    await sleep(FRESHNESS.isolateTtlMs + 100)
    expect(await edge.canRespond(unknownAgent)).toMatchObject({ source: 'db', statements: 1 })
  })

  it('sends a call naming another agent in X-Agent-Instance-ID to Postgres, with today’s answers', async () => {
    const { agent } = await agentWithKey()
    const { agent: other } = await agentWithKey()
    const runtime = edgeRuntime()
    for (let i = 0; i < 2; i++) await hotCalls(runtime).canRespond(agent.id)
    const res = await runtime.fetch(`/api/internal/billing/can-respond/${agent.id}`, {
      headers: internalHeaders(other.id),
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('Server-Timing')).toContain('cache;desc="db"')
  })

  it('falls back to the one-statement path when the object cannot be reached', async () => {
    const { agent, key } = await agentWithKey()
    const unreachable = {
      getByName: () => {
        const refuse = () => Promise.reject(new Error('Durable Object unreachable'))
        return { agentView: refuse, keyRecord: refuse, refresh: refuse, applyUsage: refuse }
      },
    }
    const broken = hotCalls(edgeRuntime('edge-no-object', { CUSTOMER_STATE: unreachable } as never))
    await broken.canRespond(agent.id) // learns the agent's customer
    await broken.validateKey(key)
    for (let i = 0; i < 3; i++) {
      const answer = await broken.canRespond(agent.id)
      expect([answer.status, answer.source, answer.statements]).toEqual([200, 'db', 1])
      expect(answer.body.allowed).toBe(true)
      expect(await broken.validateKey(key)).toMatchObject({ source: 'db', statements: 1, body: { valid: true } })
    }
  })

  it('with Postgres down, answers from a loaded copy up to its bounded age, then denies with state_unavailable, never allowing from older state', async () => {
    const { agent, key } = await agentWithKey()
    const maxStaleMs = 2_500
    const outage = hotCalls(
      edgeRuntime('edge-outage', {
        LOCAL_WS_PROXY: inject('outageWsProxy'),
        EDGE_VERIFY_AFTER_MS: '200',
        EDGE_VERIFY_SYNC_AFTER_MS: '400',
        EDGE_MAX_STALE_MS: String(maxStaleMs),
      } as Partial<Record<keyof Bindings, string>>),
    )
    await outage.canRespond(agent.id)
    await outage.canRespond(agent.id) // the object has it now
    await outage.validateKey(key)
    await databaseDown()
    const started = Date.now()
    let denied: Awaited<ReturnType<typeof outage.canRespond>> | undefined
    while (Date.now() - started < maxStaleMs + 5_000) {
      const answer = await outage.canRespond(agent.id)
      expect(answer.status).toBe(200)
      if (answer.body.allowed === true) {
        expect(ageOf(answer.body)).toBeLessThanOrEqual(maxStaleMs + FRESHNESS.isolateTtlMs)
      } else {
        denied = answer
        break
      }
      await sleep(100)
    }
    expect(denied?.body).toMatchObject({ allowed: false, reason_code: 'state_unavailable', agent_id: agent.id })
    expect(Date.now() - started).toBeGreaterThanOrEqual(maxStaleMs - 500)
    const config = await outage.config(agent.id)
    expect(config.status).toBe(503)
    expect(config.body).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } })
    await sleep(FRESHNESS.isolateTtlMs + 100)
    expect((await outage.validateKey(key)).status).toBe(503)

    await databaseUp()
    await timeUntil(
      () => outage.canRespond(agent.id),
      (a) => a.body.allowed === true,
      5_000,
    )
  })

  it('fails closed when it was told of a change it cannot load', async () => {
    const { agent, key, customer } = await agentWithKey()
    const runtime = edgeRuntime('edge-told', { LOCAL_WS_PROXY: inject('outageWsProxy') } as never)
    const outage = hotCalls(runtime)
    await outage.canRespond(agent.id)
    await outage.canRespond(agent.id)
    await outage.validateKey(key)
    await databaseDown()
    const told = await runtime.fetch(`/api/internal/customers/${customer.id}/state/refresh`, {
      method: 'POST',
      headers: internalHeaders(),
    })
    expect(told.status).toBe(200)
    const answer = await outage.canRespond(agent.id)
    expect(answer.body).toMatchObject({ allowed: false, reason_code: 'state_unavailable' })
    expect((await outage.config(agent.id)).status).toBe(503)
    expect((await outage.validateKey(key)).status).toBe(503)
    await databaseUp()
    await timeUntil(
      () => outage.canRespond(agent.id),
      (a) => a.body.allowed === true,
      5_000,
    )
  })
})
