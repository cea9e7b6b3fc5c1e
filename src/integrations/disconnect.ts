import { and, eq, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { integrations } from '../db/schema'
import { NotFound } from '../errors'

/**
 * Disconnects one of the customer's integrations: both tokens are deleted (set to NULL) and
 * the status becomes `revoked`; the row stays so the account shows as disconnected and a
 * reconnect reuses it. Another customer's integration is not found.
 */
export async function disconnectIntegration(db: Executor, customerId: string, integrationId: string): Promise<void> {
  const updated = await db
    .update(integrations)
    .set({ status: 'revoked', accessToken: null, refreshToken: null, tokenExpiresAt: null, updatedAt: sql`now()` })
    .where(and(eq(integrations.id, integrationId), eq(integrations.customerId, customerId)))
    .returning({ id: integrations.id })
  if (updated.length === 0) throw new NotFound('Integration')
}
