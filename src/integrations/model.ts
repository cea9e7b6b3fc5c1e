import type { integrationProviders, integrations } from '../db/schema'
import type { Logger } from '../platform/logger'
import { Secret, secretOrNull } from './secret-value'
import { decryptSecret } from './secrets'

export type IntegrationRow = typeof integrations.$inferSelect
export type ProviderRow = typeof integrationProviders.$inferSelect

/** What browsers and the runtime may see of an integration: everything but the tokens. */
export interface IntegrationSummary {
  id: string
  provider: { id: string; slug: string; name: string }
  account_id: string
  account_name: string
  status: IntegrationRow['status']
  scopes: string
  token_expires_at: string | null
  connected: boolean
  created_at: string
  updated_at: string
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/**
 * An integration with its tokens decrypted into `Secret`s. Printing, stringifying or
 * logging it shows the summary only; the tokens come out through `.reveal()` alone.
 */
export class Integration {
  readonly accessToken: Secret | null
  readonly refreshToken: Secret | null

  constructor(
    readonly row: Omit<IntegrationRow, 'accessToken' | 'refreshToken'>,
    readonly provider: Pick<ProviderRow, 'id' | 'slug' | 'name'>,
    tokens: { accessToken: string | null; refreshToken: string | null },
  ) {
    this.accessToken = secretOrNull(tokens.accessToken)
    this.refreshToken = secretOrNull(tokens.refreshToken)
  }

  get id() {
    return this.row.id
  }

  summary(): IntegrationSummary {
    return summarize(this.row, this.provider, this.accessToken !== null && !this.accessToken.isEmpty)
  }

  toJSON(): IntegrationSummary {
    return this.summary()
  }

  toString(): string {
    return `Integration ${this.row.id} (${this.provider.slug} account ${this.row.accountId}, ${this.row.status})`
  }

  [inspectSymbol](): string {
    return this.toString()
  }
}

export function summarize(
  row: Omit<IntegrationRow, 'accessToken' | 'refreshToken'>,
  provider: Pick<ProviderRow, 'id' | 'slug' | 'name'>,
  connected: boolean,
): IntegrationSummary {
  return {
    id: row.id,
    provider: { id: provider.id, slug: provider.slug, name: provider.name },
    account_id: row.accountId,
    account_name: row.accountName,
    status: row.status,
    scopes: row.scopes,
    token_expires_at: row.tokenExpiresAt?.toISOString() ?? null,
    connected: connected && row.status === 'active',
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  }
}

/** Decrypts a stored row's tokens (an unreadable token reads as "" with a warning naming the row). */
export async function loadIntegration(
  row: IntegrationRow,
  provider: Pick<ProviderRow, 'id' | 'slug' | 'name'>,
  keys: readonly string[],
  logger: Logger,
): Promise<Integration> {
  const { accessToken, refreshToken, ...rest } = row
  const at = (column: string) => ({ logger, row: { table: 'integrations', column, id: row.id } })
  const [access, refresh] = await Promise.all([
    decryptSecret(keys, accessToken, at('access_token')),
    decryptSecret(keys, refreshToken, at('refresh_token')),
  ])
  return new Integration(rest, provider, { accessToken: access, refreshToken: refresh })
}

/** A provider with its client secret decrypted into a `Secret`. */
export interface ProviderWithSecret extends Omit<ProviderRow, 'clientSecret'> {
  clientSecret: Secret | null
}

export async function loadProvider(
  row: ProviderRow,
  keys: readonly string[],
  logger: Logger,
): Promise<ProviderWithSecret> {
  const { clientSecret, ...rest } = row
  const secret = await decryptSecret(keys, clientSecret, {
    logger,
    row: { table: 'integration_providers', column: 'client_secret', id: row.id },
  })
  return { ...rest, clientSecret: secret === null || secret === '' ? null : new Secret(secret) }
}
