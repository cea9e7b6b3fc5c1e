import { asc, eq } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { integrationProviders } from '../db/schema'

export interface ProviderChoice {
  id: string
  slug: string
  name: string
  scopes: string
}

/** Providers a customer can connect (never their client secret). */
export function listConnectableProviders(db: Executor): Promise<ProviderChoice[]> {
  return db
    .select({
      id: integrationProviders.id,
      slug: integrationProviders.slug,
      name: integrationProviders.name,
      scopes: integrationProviders.scopes,
    })
    .from(integrationProviders)
    .where(eq(integrationProviders.isActive, true))
    .orderBy(asc(integrationProviders.name))
}
