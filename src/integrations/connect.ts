import { and, eq, lt, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { integrationProviders, integrations, oauthStates } from '../db/schema'
import { InvalidInput, NotFound, ProviderRefused } from '../errors'
import { sha256Hex } from '../platform/crypto'
import type { Logger } from '../platform/logger'
import { type Integration, loadIntegration, loadProvider } from './model'
import { createOAuthState, createPkcePair } from './pkce'
import { decryptSecret, encryptNullable, encryptSecret } from './secrets'
import { describeOAuthError, type FetchLike, requestTokens } from './token-endpoint'

/** How long a started connection may take at the provider before its `state` is refused. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000

export interface BrowserSession {
  /** The session's id (the SHA-256 of its cookie), which the `state` is bound to. */
  id: string
  customerId: string
}

export interface ConnectDeps {
  keys: readonly string[]
  logger: Logger
  fetch?: FetchLike
  now?: () => Date
}

/**
 * Starts the authorization code + PKCE (S256) flow: stores the hashed `state`, bound to the
 * browser session, with the encrypted verifier, and returns the provider's authorize URL.
 */
export async function startConnect(
  db: Executor,
  deps: ConnectDeps,
  input: { session: BrowserSession; providerSlug: string; redirectUri: string },
): Promise<{ authorizeUrl: string }> {
  const now = deps.now?.() ?? new Date()
  const provider = await db.query.integrationProviders.findFirst({
    columns: { clientSecret: false },
    where: and(eq(integrationProviders.slug, input.providerSlug), eq(integrationProviders.isActive, true)),
  })
  if (!provider) throw new NotFound('Integration provider')

  const state = createOAuthState()
  const pkce = await createPkcePair()
  await db.delete(oauthStates).where(lt(oauthStates.expiresAt, now))
  await db.insert(oauthStates).values({
    id: await sha256Hex(state),
    sessionId: input.session.id,
    customerId: input.session.customerId,
    providerId: provider.id,
    codeVerifier: await encryptSecret(deps.keys, pkce.verifier),
    expiresAt: new Date(now.getTime() + OAUTH_STATE_TTL_MS),
  })

  const url = new URL(provider.authorizeUrl)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', provider.clientId)
  url.searchParams.set('redirect_uri', input.redirectUri)
  if (provider.scopes) url.searchParams.set('scope', provider.scopes)
  url.searchParams.set('state', state)
  url.searchParams.set('code_challenge', pkce.challenge)
  url.searchParams.set('code_challenge_method', 'S256')
  return { authorizeUrl: url.toString() }
}

export interface CallbackParams {
  state?: string
  code?: string
  error?: string
  error_description?: string
}

/**
 * The provider's redirect back: consumes the `state` (once, and only from the session that
 * started it), exchanges the code with the PKCE verifier, and stores the tokens encrypted.
 */
export async function completeConnect(
  db: Executor,
  deps: ConnectDeps,
  input: { session: BrowserSession; params: CallbackParams; redirectUri: string },
): Promise<Integration> {
  const now = deps.now?.() ?? new Date()
  const { params, session } = input
  if (!params.state) throw new InvalidInput('The provider sent no state back. Please start again.')

  const [pending] = await db
    .delete(oauthStates)
    .where(and(eq(oauthStates.id, await sha256Hex(params.state)), eq(oauthStates.sessionId, session.id)))
    .returning()
  if (!pending || pending.customerId !== session.customerId || pending.expiresAt <= now) {
    throw new InvalidInput(
      'This connection attempt has expired or was started in another browser session. Please start again from the Integrations page.',
    )
  }

  const providerRow = await db.query.integrationProviders.findFirst({
    where: eq(integrationProviders.id, pending.providerId),
  })
  if (!providerRow) throw new NotFound('Integration provider')
  if (params.error) {
    throw new ProviderRefused(
      `${providerRow.name} did not connect: ${describeOAuthError(params.error, params.error_description)}`,
      params.error,
    )
  }
  if (!params.code) throw new InvalidInput(`${providerRow.name} sent no authorisation code back.`)

  const [provider, verifier] = await Promise.all([
    loadProvider(providerRow, deps.keys, deps.logger),
    decryptSecret(deps.keys, pending.codeVerifier, {
      logger: deps.logger,
      row: { table: 'oauth_states', column: 'code_verifier', id: pending.id },
    }),
  ])
  const tokens = await requestTokens(
    provider,
    {
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: input.redirectUri,
      code_verifier: verifier ?? '',
    },
    { fetch: deps.fetch, now },
  )

  const [accessToken, refreshToken] = await Promise.all([
    encryptSecret(deps.keys, tokens.accessToken),
    encryptNullable(deps.keys, tokens.refreshToken),
  ])
  const stored = {
    accountName: tokens.account?.name ?? '',
    status: 'active' as const,
    accessToken,
    refreshToken,
    tokenExpiresAt: tokens.expiresAt,
    scopes: tokens.scope ?? providerRow.scopes,
  }
  const [row] = await db
    .insert(integrations)
    .values({
      customerId: session.customerId,
      providerId: provider.id,
      accountId: tokens.account?.id ?? 'default',
      ...stored,
    })
    .onConflictDoUpdate({
      target: [integrations.customerId, integrations.providerId, integrations.accountId],
      set: { ...stored, updatedAt: sql`now()` },
    })
    .returning()
  return loadIntegration(row!, provider, deps.keys, deps.logger)
}
