// The connect → callback → credentials → refresh path against the stand-in provider
// (scripts/fakes/oauth-provider.ts), through the domain functions the pages call. Refusals are
// matched by the domain error's class name (`name`).
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { integrations, oauthStates } from '../../src/db/schema'
import {
  type BrowserSession,
  type CallbackParams,
  type ConnectDeps,
  completeConnect,
  startConnect,
} from '../../src/integrations/connect'
import { getCredentials } from '../../src/integrations/credentials'
import { disconnectIntegration } from '../../src/integrations/disconnect'
import { listIntegrations } from '../../src/integrations/queries'
import { encryptSecret } from '../../src/integrations/secrets'
import { sha256Hex } from '../../src/platform/crypto'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories } from '../support/factories'
import {
  browserSession,
  type FakeClientOptions,
  fakeProvider,
  providerAccepts,
  providerStats,
  recordingLogger,
  updateFakeClient,
} from '../support/integrations'

const REDIRECT_URI = 'http://localhost/integrations/callback'
const deps = () => ({ keys: testConfig().ENCRYPTION_KEY, logger: recordingLogger() })

/** The browser's trip to the provider: follow the authorize URL once and read the redirect back. */
async function visitProvider(authorizeUrl: string) {
  const res = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(res.status).toBe(302)
  const back = new URL(res.headers.get('location')!)
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI)
  return Object.fromEntries(back.searchParams) as Record<string, string>
}

type Db = ReturnType<typeof testDb>['db']

/** A customer with a browser session, and a stand-in provider app (`options`) to connect to. */
async function customerAndProvider(db: Db, options?: FakeClientOptions) {
  const customer = await factories(db).customer()
  const session = await browserSession(db, customer.id)
  return { customer, session, ...(await fakeProvider(db, options)) }
}

/** Starts the flow for `session` and takes the browser to the provider: what the provider sends back. */
async function authorizeAtProvider(db: Db, session: BrowserSession, providerSlug: string) {
  const { authorizeUrl } = await startConnect(db, deps(), { session, providerSlug, redirectUri: REDIRECT_URI })
  return visitProvider(authorizeUrl)
}

/**
 * The callback: completes the flow for `session` with what the provider sent back (`depsOverride`
 * replaces the clock or the network).
 */
function callback(db: Db, session: BrowserSession, params: CallbackParams, depsOverride: Partial<ConnectDeps> = {}) {
  return completeConnect(db, { ...deps(), ...depsOverride }, { session, params, redirectUri: REDIRECT_URI })
}

/** The provider's clock moves on: the stored access token's expiry passes. */
async function expireAccessToken(db: Db, integrationId: string) {
  await db
    .update(integrations)
    .set({ tokenExpiresAt: new Date(Date.now() - 1000) })
    .where(eq(integrations.id, integrationId))
}

async function connect(db: Db, session: BrowserSession, slug: string) {
  return callback(db, session, await authorizeAtProvider(db, session, slug))
}

describe('OAuth connect flow (authorization code + PKCE)', () => {
  it('asks the provider for a code with an S256 challenge and a state, storing only hashes and ciphertext', async () => {
    const { db } = testDb()
    const { customer, session, provider, clientId } = await customerAndProvider(db)
    const { authorizeUrl } = await startConnect(db, deps(), {
      session,
      providerSlug: provider.slug,
      redirectUri: REDIRECT_URI,
    })
    const url = new URL(authorizeUrl)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('client_id')).toBe(clientId)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('scope')).toBe('docs.read docs.write')
    const state = url.searchParams.get('state')!
    const [stored] = await db
      .select()
      .from(oauthStates)
      .where(eq(oauthStates.id, await sha256Hex(state)))
    expect(stored).toMatchObject({ sessionId: session.id, customerId: customer.id, providerId: provider.id })
    expect(stored!.codeVerifier.startsWith('gAAAAA')).toBe(true)
  })

  it('connects: exchanges the code, stores the tokens encrypted, and the runtime gets a working token', async () => {
    const { db } = testDb()
    const { customer, session, provider, clientId } = await customerAndProvider(db, {
      client_secret: 'shh-client-secret',
      account_id: 'ws_42',
      account_name: 'Acme Workspace',
    })

    const integration = await connect(db, session, provider.slug)
    expect(integration.summary()).toMatchObject({
      account_id: 'ws_42',
      account_name: 'Acme Workspace',
      status: 'active',
      connected: true,
    })
    const raw = await db.execute(sql`SELECT access_token, refresh_token FROM integrations WHERE id = ${integration.id}`)
    const rawRow = raw.rows[0] as { access_token: string; refresh_token: string }
    expect(rawRow.access_token.startsWith('gAAAAA')).toBe(true)
    expect(rawRow.refresh_token.startsWith('gAAAAA')).toBe(true)
    expect(rawRow.access_token).not.toContain(integration.accessToken!.reveal())
    expect(await providerStats(clientId)).toMatchObject({ authorization_code: 1, refused: 0 })

    const credentials = await getCredentials(db, deps(), { customerId: customer.id, integrationId: integration.id })
    expect(credentials.access_token).toBe(integration.accessToken!.reveal())
    expect(await providerAccepts(credentials.access_token)).toEqual({
      account_id: 'ws_42',
      account_name: 'Acme Workspace',
    })
    // The state is single-use and gone.
    expect(await db.select().from(oauthStates).where(eq(oauthStates.sessionId, session.id))).toEqual([])
  })

  it('full path: connect → credentials → token expires → refreshed with the refresh token → new token works', async () => {
    const { db } = testDb()
    const { customer, session, provider, clientId } = await customerAndProvider(db, {
      expires_in: 3600,
      rotate_refresh_tokens: true,
    })
    const integration = await connect(db, session, provider.slug)
    const input = { customerId: customer.id, integrationId: integration.id }
    const first = await getCredentials(db, deps(), input)
    expect(await providerAccepts(first.access_token)).not.toBeNull()

    await expireAccessToken(db, integration.id)
    const refreshed = await getCredentials(db, deps(), input)
    expect(refreshed.access_token).not.toBe(first.access_token)
    expect(new Date(refreshed.expires_at!).getTime()).toBeGreaterThan(Date.now() + 3_000_000)
    expect(await providerAccepts(refreshed.access_token)).not.toBeNull()
    expect(await providerStats(clientId)).toMatchObject({ authorization_code: 1, refresh_token: 1, refused: 0 })

    // The rotated refresh token was stored (encrypted): a second expiry refreshes again.
    await expireAccessToken(db, integration.id)
    const again = await getCredentials(db, deps(), input)
    expect(again.access_token).not.toBe(refreshed.access_token)
    expect(await providerStats(clientId)).toMatchObject({ refresh_token: 2, refused: 0 })

    // Fresh tokens are handed out without calling the provider.
    await getCredentials(db, deps(), input)
    expect((await providerStats(clientId)).refresh_token).toBe(2)
  })

  it('concurrent calls on an expired token refresh it once', async () => {
    const { db } = testDb()
    const { customer, session, provider, clientId } = await customerAndProvider(db, { rotate_refresh_tokens: true })
    const integration = await connect(db, session, provider.slug)
    await expireAccessToken(db, integration.id)
    const input = { customerId: customer.id, integrationId: integration.id }
    const results = await Promise.all([0, 1, 2].map(() => getCredentials(testDb().db, deps(), input)))
    expect(new Set(results.map((r) => r.access_token)).size).toBe(1)
    expect(await providerStats(clientId)).toMatchObject({ refresh_token: 1, refused: 0 })
  })

  it('a refresh the provider refuses marks the integration expired and says to reconnect', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const { provider } = await fakeProvider(db)
    const row = await factories(db).integration({
      customerId: customer.id,
      providerId: provider.id,
      refreshToken: 'rt_the_provider_never_issued',
      tokenExpiresAt: new Date(Date.now() - 60_000),
    })
    const logger = recordingLogger()
    const attempt = getCredentials(db, { ...deps(), logger }, { customerId: customer.id, integrationId: row.id })
    await expect(attempt).rejects.toMatchObject({ name: 'Conflict', message: expect.stringMatching(/reconnect/) })
    const [after] = await db.select().from(integrations).where(eq(integrations.id, row.id))
    expect(after!.status).toBe('expired')
    expect(JSON.stringify(logger.lines)).not.toContain('rt_the_provider_never_issued')
  })

  it('an expired token without a refresh token is not handed out', async () => {
    const { db } = testDb()
    const row = await factories(db).integration({ refreshToken: null, tokenExpiresAt: new Date(Date.now() - 1000) })
    await expect(
      getCredentials(db, deps(), { customerId: row.customerId, integrationId: row.id }),
    ).rejects.toMatchObject({ name: 'Conflict' })
  })

  it('the state only works from the session that started the flow, once', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const [mine, other] = [await browserSession(db, customer.id), await browserSession(db, customer.id)]
    const { provider } = await fakeProvider(db)
    const params = await authorizeAtProvider(db, mine, provider.slug)
    await expect(callback(db, other, params)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/another browser session/),
    })
    await callback(db, mine, params)
    await expect(callback(db, mine, params)).rejects.toMatchObject({ name: 'InvalidInput' })
    await expect(callback(db, mine, { code: params.code })).rejects.toMatchObject({ name: 'InvalidInput' })
  })

  it('an expired state is refused', async () => {
    const { db } = testDb()
    const { session, provider } = await customerAndProvider(db)
    const params = await authorizeAtProvider(db, session, provider.slug)
    const later = () => new Date(Date.now() + 11 * 60_000)
    await expect(callback(db, session, params, { now: later })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/expired/),
    })
  })

  it('PKCE: a code redeemed with the wrong verifier is refused by the provider, readably', async () => {
    const { db } = testDb()
    const { session, provider } = await customerAndProvider(db)
    const params = await authorizeAtProvider(db, session, provider.slug)
    const wrong = await encryptSecret(testConfig().ENCRYPTION_KEY, 'A'.repeat(43))
    await db
      .update(oauthStates)
      .set({ codeVerifier: wrong })
      .where(eq(oauthStates.id, await sha256Hex(params.state!)))
    await expect(callback(db, session, params)).rejects.toMatchObject({
      name: 'ProviderRefused',
      message: expect.stringMatching(
        /refused the request: the authorisation is no longer valid \(PKCE verification failed\)/,
      ),
    })
  })

  it('a denial at the provider is shown readably and stores nothing', async () => {
    const { db } = testDb()
    const { customer, session, provider } = await customerAndProvider(db, { deny: true })
    const params = await authorizeAtProvider(db, session, provider.slug)
    expect(params.error).toBe('access_denied')
    await expect(callback(db, session, params)).rejects.toMatchObject({
      name: 'ProviderRefused',
      message: `${provider.name} did not connect: access was denied (The user declined to connect)`,
    })
    expect(await listIntegrations(db, customer.id)).toEqual([])
  })

  it('a wrong client secret is refused readably', async () => {
    const { db } = testDb()
    const { session, provider, clientId } = await customerAndProvider(db, { client_secret: 'right' })
    await updateFakeClient(clientId, { client_secret: 'rotated-at-the-provider' })
    await expect(connect(db, session, provider.slug)).rejects.toMatchObject({
      name: 'ProviderRefused',
      message: expect.stringMatching(/app credentials were not accepted/),
    })
  })

  it('an unknown provider is not found; an unreachable one is a readable 503', async () => {
    const { db } = testDb()
    const customer = await factories(db).customer()
    const session = await browserSession(db, customer.id)
    await expect(
      startConnect(db, deps(), { session, providerSlug: 'no-such-provider', redirectUri: REDIRECT_URI }),
    ).rejects.toMatchObject({ name: 'NotFound' })
    const { provider } = await fakeProvider(db)
    const params = await authorizeAtProvider(db, session, provider.slug)
    const offline = () => Promise.reject(new TypeError('connect ECONNREFUSED'))
    await expect(callback(db, session, params, { fetch: offline })).rejects.toMatchObject({
      name: 'Unavailable',
      message: `Could not reach ${provider.name}. Please try again.`,
    })
  })

  it('reconnecting the same account updates the row; disconnect deletes the tokens', async () => {
    const { db } = testDb()
    const { customer, session, provider } = await customerAndProvider(db, { account_id: 'same-account' })
    const first = await connect(db, session, provider.slug)
    const second = await connect(db, session, provider.slug)
    expect(second.id).toBe(first.id)
    expect(second.accessToken!.reveal()).not.toBe(first.accessToken!.reveal())

    await disconnectIntegration(db, customer.id, first.id)
    const raw = await db.execute(
      sql`SELECT access_token, refresh_token, status FROM integrations WHERE id = ${first.id}`,
    )
    expect(raw.rows[0]).toEqual({ access_token: null, refresh_token: null, status: 'revoked' })
    await expect(
      getCredentials(db, deps(), { customerId: customer.id, integrationId: first.id }),
    ).rejects.toMatchObject({
      name: 'Conflict',
    })
    const [listed] = await listIntegrations(db, customer.id)
    expect(listed).toMatchObject({ id: first.id, status: 'revoked', connected: false })
  })

  it("another customer's integration cannot be disconnected or read", async () => {
    const { db } = testDb()
    const row = await factories(db).integration()
    const stranger = await factories(db).customer()
    await expect(disconnectIntegration(db, stranger.id, row.id)).rejects.toMatchObject({ name: 'NotFound' })
    await expect(getCredentials(db, deps(), { customerId: stranger.id, integrationId: row.id })).rejects.toMatchObject({
      name: 'NotFound',
    })
  })
})
