import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { integrationProviders, integrations } from '../db/schema'
import type { Logger } from '../platform/logger'
import { type Integration, type IntegrationSummary, loadIntegration, summarize } from './model'

const { accessToken: _access, refreshToken: _refresh, ...publicColumns } = getTableColumns(integrations)
const providerColumns = {
  id: integrationProviders.id,
  slug: integrationProviders.slug,
  name: integrationProviders.name,
}
const hasAccessToken = sql<boolean>`(${integrations.accessToken} IS NOT NULL)`.mapWith(Boolean)

/** A customer's integrations without their tokens (the tokens are not even selected). One statement. */
export async function listIntegrations(db: Executor, customerId: string): Promise<IntegrationSummary[]> {
  const rows = await db
    .select({
      integration: publicColumns,
      provider: providerColumns,
      connected: hasAccessToken,
    })
    .from(integrations)
    .innerJoin(integrationProviders, eq(integrationProviders.id, integrations.providerId))
    .where(eq(integrations.customerId, customerId))
    .orderBy(asc(integrationProviders.name), asc(integrations.accountId))
  return rows.map((r) => summarize(r.integration, r.provider, r.connected))
}

/** One integration row of this customer with its provider, or undefined (also for another customer's id). */
export async function findCustomerIntegration(db: Executor, customerId: string, integrationId: string) {
  const [found] = await db
    .select({ integration: integrations, provider: integrationProviders })
    .from(integrations)
    .innerJoin(integrationProviders, eq(integrationProviders.id, integrations.providerId))
    .where(and(eq(integrations.id, integrationId), eq(integrations.customerId, customerId)))
    .limit(1)
  return found
}

/** One of the customer's integrations with its tokens decrypted (as `Secret`s), or undefined. */
export async function readIntegration(
  db: Executor,
  deps: { keys: readonly string[]; logger: Logger },
  customerId: string,
  integrationId: string,
): Promise<Integration | undefined> {
  const found = await findCustomerIntegration(db, customerId, integrationId)
  return found && loadIntegration(found.integration, found.provider, deps.keys, deps.logger)
}
