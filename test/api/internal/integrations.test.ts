// GET /api/internal/integrations and /api/internal/integrations/{id}/credentials, through the Worker.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { integrations } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { type FactoryOverrides, factories } from '../../support/factories'
import { call, internalHeaders, statementsOf } from '../../support/http'
import { fakeProvider, providerStats } from '../../support/integrations'

async function agentWithIntegration(overrides: FactoryOverrides<'integration'> = {}) {
  const { db } = testDb()
  const f = factories(db)
  const agent = await f.agentInstance()
  const integration = await f.integration({ customerId: agent.customerId, ...overrides })
  return { db, f, agent, integration }
}

describe('GET /api/internal/integrations', () => {
  it("lists the agent's customer's integrations, without any secret", async () => {
    const { f, agent, integration } = await agentWithIntegration({
      accessToken: 'list_secret_access',
      refreshToken: 'list_secret_refresh',
    })
    await f.integration({ accessToken: 'someone_elses_token' })
    const res = await call('/api/internal/integrations', { headers: internalHeaders(agent.id) })
    expect(res.status).toBe(200)
    const text = await res.text()
    for (const secret of ['list_secret_access', 'list_secret_refresh', 'someone_elses_token', 'gAAAAA']) {
      expect(text).not.toContain(secret)
    }
    const body = JSON.parse(text) as { integrations: Array<Record<string, unknown>> }
    expect(body.integrations).toHaveLength(1)
    expect(body.integrations[0]).toMatchObject({
      id: integration.id,
      account_id: integration.accountId,
      status: 'active',
      connected: true,
      provider: { id: integration.providerId },
    })
    expect(Object.keys(body.integrations[0]!)).not.toContain('access_token')
    expect(statementsOf(res)).toBe(2)
  })

  it('needs the service secret and an agent', async () => {
    const { agent } = await agentWithIntegration()
    expect((await call('/api/internal/integrations')).status).toBe(401)
    expect((await call('/api/internal/integrations', { headers: internalHeaders() })).status).toBe(401)
    const wrongSecret = { ...internalHeaders(agent.id), Authorization: 'Bearer nope-nope-nope-nope-nope-nope-nope' }
    expect((await call('/api/internal/integrations', { headers: wrongSecret })).status).toBe(401)
    const unknown = internalHeaders(crypto.randomUUID())
    expect((await call('/api/internal/integrations', { headers: unknown })).status).toBe(401)
  })
})

describe('GET /api/internal/integrations/{id}/credentials', () => {
  it('returns the decrypted access token to the agent runtime', async () => {
    const { agent, integration } = await agentWithIntegration({ accessToken: 'decrypted_for_agent' })
    const res = await call(`/api/internal/integrations/${integration.id}/credentials`, {
      headers: internalHeaders(agent.id),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(await res.json()).toEqual({
      integration_id: integration.id,
      provider: expect.any(String),
      account_id: integration.accountId,
      access_token: 'decrypted_for_agent',
      token_type: 'Bearer',
      expires_at: integration.tokenExpiresAt!.toISOString(),
      scopes: integration.scopes,
    })
    expect(statementsOf(res)).toBe(2)
  })

  it("another customer's integration is 404, the same as one that does not exist", async () => {
    const { agent } = await agentWithIntegration()
    const { integration: theirs } = await agentWithIntegration({ accessToken: 'not_for_you' })
    for (const id of [theirs.id, crypto.randomUUID()]) {
      const res = await call(`/api/internal/integrations/${id}/credentials`, { headers: internalHeaders(agent.id) })
      expect(res.status).toBe(404)
      const body = await res.text()
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'NOT_FOUND', message: 'Integration not found' } })
      expect(body).not.toContain('not_for_you')
    }
  })

  it('a malformed id is a 400 in the error envelope', async () => {
    const { agent } = await agentWithIntegration()
    const res = await call('/api/internal/integrations/not-a-uuid/credentials', { headers: internalHeaders(agent.id) })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } })
  })

  it('a disconnected integration is a 409 that says to reconnect', async () => {
    const { db, agent, integration } = await agentWithIntegration()
    await db
      .update(integrations)
      .set({ status: 'revoked', accessToken: null, refreshToken: null })
      .where(eq(integrations.id, integration.id))
    const res = await call(`/api/internal/integrations/${integration.id}/credentials`, {
      headers: internalHeaders(agent.id),
    })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: { code: 'CONFLICT', message: expect.stringMatching(/connect/) } })
  })

  it('an expired token is refreshed at the provider first, and the refresh is stored encrypted', async () => {
    const { db, f, agent } = await agentWithIntegration()
    const { provider, clientId } = await fakeProvider(db, { client_secret: 'api-secret' })
    // Obtain a real refresh token from the stand-in provider through a connect, then expire the access token.
    const { browserSession } = await import('../../support/integrations')
    const { startConnect, completeConnect } = await import('../../../src/integrations/connect')
    const { testConfig } = await import('../../support/env')
    const { recordingLogger } = await import('../../support/integrations')
    const deps = { keys: testConfig().ENCRYPTION_KEY, logger: recordingLogger() }
    const session = await browserSession(db, agent.customerId)
    const redirectUri = 'http://localhost/integrations/callback'
    const { authorizeUrl } = await startConnect(db, deps, { session, providerSlug: provider.slug, redirectUri })
    const back = new URL((await fetch(authorizeUrl, { redirect: 'manual' })).headers.get('location')!)
    const connected = await completeConnect(db, deps, {
      session,
      params: Object.fromEntries(back.searchParams),
      redirectUri,
    })
    await db
      .update(integrations)
      .set({ tokenExpiresAt: new Date(Date.now() - 5_000) })
      .where(eq(integrations.id, connected.id))

    const res = await call(`/api/internal/integrations/${connected.id}/credentials`, {
      headers: internalHeaders(agent.id),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { access_token: string; expires_at: string }
    expect(body.access_token).not.toBe(connected.accessToken!.reveal())
    expect(new Date(body.expires_at).getTime()).toBeGreaterThan(Date.now())
    expect(await providerStats(clientId)).toMatchObject({ authorization_code: 1, refresh_token: 1, refused: 0 })
    const [stored] = await db.select().from(integrations).where(eq(integrations.id, connected.id))
    expect(stored!.accessToken!.startsWith('gAAAAA')).toBe(true)
    expect(stored!.accessToken).not.toContain(body.access_token)
    void f
  })

  it('the OpenAPI document describes both routes', async () => {
    const res = await call('/api/internal/openapi.json', { headers: internalHeaders() })
    const doc = (await res.json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/integrations', '/integrations/{id}/credentials']))
  })
})
