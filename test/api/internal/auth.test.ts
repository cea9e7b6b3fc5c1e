import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type AgentScopedEnv, agentAuth, serviceAuth } from '../../../src/api/internal/auth'
import { agentConfigSchema } from '../../../src/api/internal/routes/config'
import { canRespondSchema } from '../../../src/api/internal/routes/schemas'
import { createApp, newApp } from '../../../src/app'
import type { HonoEnv } from '../../../src/types'
import { billedAgent, getJson } from '../../support/billing'
import { testDb } from '../../support/db'
import { env, ROTATED_SERVICE_SECRET, SERVICE_SECRET } from '../../support/env'
import { bodyOf, createExecutionContext, internalHeaders } from '../../support/http'

const configPath = (id: string) => `/api/internal/agent/${id}/config`

/** What the test route below answers: the agent `agentAuth()` put on the context. */
const whoamiSchema = z.object({ id: z.string(), customer_id: z.string(), keys: z.array(z.string()) })

async function fetchWith<S extends z.ZodType>(
  app: { fetch: Hono<HonoEnv>['fetch'] },
  path: string,
  headers: Record<string, string>,
  schema: S,
  overrides = {},
) {
  const res = await app.fetch(
    new Request(`http://localhost${path}`, { headers }),
    { ...env, ...overrides },
    createExecutionContext(),
  )
  return { res, body: await bodyOf(res, schema) }
}

// Spec 4.1, through the real routes.
describe('service secret and agent authentication', () => {
  it('accepts the service secret with a valid agent id', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { res, body } = await getJson(configPath(agent.id), internalHeaders(agent.id), agentConfigSchema)
    expect(res.status).toBe(200)
    expect(body.agent_id).toBe(agent.id)
  })

  it('answers 401 in the envelope without Authorization', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { res, body } = await getJson(configPath(agent.id), { 'X-Agent-Instance-ID': agent.id }, agentConfigSchema)
    expect(res.status).toBe(401)
    expect(body.error?.code).toBe('UNAUTHORIZED')
    expect(body.error?.request_id).toBe(res.headers.get('X-Request-Id'))
  })

  it.each([
    ['a wrong secret', 'Bearer wrong-secret'],
    ['a prefix of the secret', `Bearer ${SERVICE_SECRET.slice(0, -1)}`],
    ['the secret plus more', `Bearer ${SERVICE_SECRET}x`],
    ['both secrets joined', `Bearer ${SERVICE_SECRET},${ROTATED_SERVICE_SECRET}`],
    ['another scheme', `Basic ${SERVICE_SECRET}`],
    ['no token', 'Bearer '],
  ])('answers 401 for %s', async (_label, authorization) => {
    const { res, body } = await getJson(
      '/api/internal/billing/can-respond/00000000-0000-0000-0000-000000000000',
      { Authorization: authorization },
      canRespondSchema,
    )
    expect(res.status).toBe(401)
    expect(body.error?.code).toBe('UNAUTHORIZED')
    expect(JSON.stringify(body)).not.toContain(SERVICE_SECRET)
  })

  it('answers 401 when an agent-scoped call has no or a malformed X-Agent-Instance-ID', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    for (const headers of [internalHeaders(), internalHeaders('not-a-uuid'), internalHeaders(`${agent.id}x`)]) {
      const { res, body } = await getJson(configPath(agent.id), headers, agentConfigSchema)
      expect(res.status).toBe(401)
      expect(body.error?.code).toBe('UNAUTHORIZED')
    }
  })

  it('answers 401 for an unknown agent and 403 for an inactive one', async () => {
    const { db } = testDb()
    const { agent: inactive } = await billedAgent(db, { agent: { isActive: false } })
    const unknown = '4a1e0a52-1f57-4c86-8d3b-7c1b8f0f0e11'
    expect((await getJson(configPath(unknown), internalHeaders(unknown), agentConfigSchema)).res.status).toBe(401)
    const { res, body } = await getJson(configPath(inactive.id), internalHeaders(inactive.id), agentConfigSchema)
    expect(res.status).toBe(403)
    expect(body.error?.code).toBe('FORBIDDEN')
  })

  it("answers 403 when the header names another agent than the path (another customer's)", async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { agent: intruder } = await billedAgent(db)
    const { res, body } = await getJson(configPath(agent.id), internalHeaders(intruder.id), agentConfigSchema)
    expect(res.status).toBe(403)
    expect(body.agent_id).toBeUndefined()
  })

  it('accepts both secrets of a rotation (the test env holds two)', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    for (const secret of [SERVICE_SECRET, ROTATED_SERVICE_SECRET]) {
      const { res } = await getJson(
        configPath(agent.id),
        { Authorization: `Bearer ${secret}`, 'X-Agent-Instance-ID': agent.id },
        agentConfigSchema,
      )
      expect(res.status).toBe(200)
    }
  })

  it('trims whitespace and skips empty entries of a rotation list', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const oldSecret = 'old-secret-32chars-minimum-000000'
    const newSecret = 'new-secret-32chars-minimum-111111'
    const overrides = { HUB_SERVICE_SECRET: ` ${oldSecret} , ,\n${newSecret},` }
    const app = createApp()
    const statusWith = async (secret: string) => {
      const headers = { Authorization: `Bearer ${secret}`, 'X-Agent-Instance-ID': agent.id }
      return (await fetchWith(app, configPath(agent.id), headers, agentConfigSchema, overrides)).res.status
    }
    for (const secret of [oldSecret, newSecret]) expect(await statusWith(secret)).toBe(200)
    for (const wrong of [SERVICE_SECRET, '', ' ', `${oldSecret},${newSecret}`, oldSecret.slice(1)]) {
      expect(await statusWith(wrong)).toBe(401)
    }
  })
})

describe('agentAuth() for other agent-scoped routes', () => {
  const app = newApp()
  const scoped = new Hono<AgentScopedEnv>()
  scoped.use('*', serviceAuth(), agentAuth())
  scoped.get('/whoami', (c) =>
    c.json({ id: c.var.agent.id, customer_id: c.var.agent.customerId, keys: Object.keys(c.var.agent) }),
  )
  app.route('/api/internal/test', scoped)

  const whoami = (headers: Record<string, string>) => fetchWith(app, '/api/internal/test/whoami', headers, whoamiSchema)

  it('sets the agent named in X-Agent-Instance-ID on the context, without its key hash', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { res, body } = await whoami(internalHeaders(agent.id.toUpperCase()))
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ id: agent.id, customer_id: agent.customerId })
    expect(body.keys).not.toContain('apiKeyHash')
    expect(res.headers.get('Server-Timing')).toContain('1 statements')
  })

  it('answers 401 for a missing, malformed or unknown agent and 403 for an inactive one', async () => {
    const { db } = testDb()
    const { agent: inactive } = await billedAgent(db, { agent: { isActive: false } })
    expect((await whoami(internalHeaders())).res.status).toBe(401)
    expect((await whoami(internalHeaders('nope'))).res.status).toBe(401)
    expect((await whoami(internalHeaders('00000000-0000-0000-0000-000000000000'))).res.status).toBe(401)
    const { res, body } = await whoami(internalHeaders(inactive.id))
    expect(res.status).toBe(403)
    expect(body.error?.code).toBe('FORBIDDEN')
  })

  it('runs after serviceAuth: no secret, no database', async () => {
    const { res } = await whoami({ 'X-Agent-Instance-ID': '00000000-0000-0000-0000-000000000000' })
    expect(res.status).toBe(401)
    expect(res.headers.get('Server-Timing')).toBeNull()
  })
})
