import { and, eq, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { integrations } from '../db/schema'
import { Conflict, NotFound, ProviderRefused } from '../errors'
import type { Logger } from '../platform/logger'
import { type Integration, loadIntegration, loadProvider, type ProviderRow } from './model'
import { findCustomerIntegration } from './queries'
import { encryptNullable, encryptSecret } from './secrets'
import { type FetchLike, requestTokens } from './token-endpoint'

/** Tokens this close to expiry are refreshed before they are handed out. */
export const REFRESH_MARGIN_MS = 60_000

export interface CredentialsDeps {
  keys: readonly string[]
  logger: Logger
  fetch?: FetchLike
  now?: () => Date
}

/** What the agent runtime receives: the decrypted access token, for calling the provider's API. */
export interface IntegrationCredentials {
  integration_id: string
  provider: string
  account_id: string
  access_token: string
  token_type: 'Bearer'
  expires_at: string | null
  scopes: string
}

const needsRefresh = (expiresAt: Date | null, now: Date) =>
  expiresAt !== null && expiresAt.getTime() - REFRESH_MARGIN_MS <= now.getTime()

function toCredentials(integration: Integration): IntegrationCredentials {
  return {
    integration_id: integration.id,
    provider: integration.provider.slug,
    account_id: integration.row.accountId,
    access_token: integration.accessToken?.reveal() ?? '',
    token_type: 'Bearer',
    expires_at: integration.row.tokenExpiresAt?.toISOString() ?? null,
    scopes: integration.row.scopes,
  }
}

const notConnected = () => new Conflict('This integration is not connected; the customer must connect it again.')

/**
 * The decrypted credentials of one of the customer's integrations. An access token that has
 * expired (or is about to) is first refreshed with the refresh token, under a row lock so
 * concurrent calls refresh once. Another customer's integration is not found.
 */
export async function getCredentials(
  db: Database,
  deps: CredentialsDeps,
  input: { customerId: string; integrationId: string },
): Promise<IntegrationCredentials> {
  const now = deps.now?.() ?? new Date()
  const found = await findCustomerIntegration(db, input.customerId, input.integrationId)
  if (!found) throw new NotFound('Integration')
  const { integration: row, provider } = found
  if (row.status !== 'active' && row.status !== 'expired') throw notConnected()
  if (row.accessToken === null) throw notConnected()

  if (row.status === 'active' && !needsRefresh(row.tokenExpiresAt, now)) {
    const integration = await loadIntegration(row, provider, deps.keys, deps.logger)
    if (integration.accessToken?.isEmpty) throw notConnected()
    return toCredentials(integration)
  }
  return refreshAndGet(db, deps, row.id, provider, now)
}

async function refreshAndGet(
  db: Database,
  deps: CredentialsDeps,
  integrationId: string,
  providerRow: ProviderRow,
  now: Date,
): Promise<IntegrationCredentials> {
  const outcome = await db.transaction(async (tx) => {
    const [locked] = await tx.select().from(integrations).where(eq(integrations.id, integrationId)).for('update')
    if (!locked || locked.accessToken === null || locked.status === 'revoked') return { kind: 'not-connected' } as const
    const current = await loadIntegration(locked, providerRow, deps.keys, deps.logger)
    // Another request may have refreshed while this one waited for the lock.
    if (locked.status === 'active' && !needsRefresh(locked.tokenExpiresAt, now)) {
      return { kind: 'ok', credentials: toCredentials(current) } as const
    }
    const refreshToken = current.refreshToken?.reveal()
    if (!refreshToken) return { kind: 'expired' } as const

    const provider = await loadProvider(providerRow, deps.keys, deps.logger)
    let tokens: Awaited<ReturnType<typeof requestTokens>>
    try {
      tokens = await requestTokens(
        provider,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        { fetch: deps.fetch, now },
      )
    } catch (error) {
      if (error instanceof ProviderRefused) return { kind: 'expired', refusal: error.oauthError } as const
      // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
      throw error
    }
    const [updated] = await tx
      .update(integrations)
      .set({
        status: 'active',
        accessToken: await encryptSecret(deps.keys, tokens.accessToken),
        // Providers that do not rotate refresh tokens send none back: keep the one we have.
        ...(tokens.refreshToken ? { refreshToken: await encryptNullable(deps.keys, tokens.refreshToken) } : {}),
        tokenExpiresAt: tokens.expiresAt,
        ...(tokens.scope ? { scopes: tokens.scope } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(integrations.id, integrationId))
      .returning()
    const refreshed = await loadIntegration(updated!, providerRow, deps.keys, deps.logger)
    return { kind: 'ok', credentials: toCredentials(refreshed) } as const
  })

  if (outcome.kind === 'ok') return outcome.credentials
  if (outcome.kind === 'not-connected') throw notConnected()
  await db
    .update(integrations)
    .set({ status: 'expired', updatedAt: sql`now()` })
    .where(and(eq(integrations.id, integrationId), eq(integrations.status, 'active')))
  deps.logger.warn('integration token expired and could not be refreshed', {
    integration_id: integrationId,
    provider: providerRow.slug,
    oauth_error: 'refusal' in outcome ? outcome.refusal : 'no_refresh_token',
  })
  throw new Conflict(
    `The ${providerRow.name} authorisation has expired and could not be refreshed; the customer must reconnect it.`,
  )
}
