import { eq } from 'drizzle-orm'
import type { Executor } from './client'
import { edgeStateVersions } from './schema'

/**
 * The customer's edge state version (migration 0011 raises it at the commit of every change to what
 * the edge snapshot reads); null for an unknown customer. Read it in the same statement, or the same
 * REPEATABLE READ transaction, as the data it versions, or a change between the two reads is missed.
 */
export async function readEdgeStateVersion(db: Executor, customerId: string): Promise<number | null> {
  const [row] = await db
    .select({ version: edgeStateVersions.version })
    .from(edgeStateVersions)
    .where(eq(edgeStateVersions.customerId, customerId))
  return row?.version ?? null
}
