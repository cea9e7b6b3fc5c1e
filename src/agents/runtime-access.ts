import { eq, getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { agentInstances, agentTypes, customers } from '../db/schema'

/** An agent as the runtime acting for it sees it (never its API key hash). */
export type RuntimeAgent = Omit<typeof agentInstances.$inferSelect, 'apiKeyHash'> & {
  /** The agent type's `knowledge_base.enabled` onboarding flag (default on). */
  knowledgeBaseEnabled: boolean
}

const { apiKeyHash: _hash, ...agentColumns } = getTableColumns(agentInstances)

/** The agent with id `agentId` and whether its customer is active, in one statement; null when unknown. */
export async function findRuntimeAgent(
  db: Executor,
  agentId: string,
): Promise<{ agent: RuntimeAgent; customerActive: boolean } | null> {
  const [row] = await db
    .select({
      ...agentColumns,
      customerActive: customers.isActive,
      knowledgeBaseEnabled: sql<boolean>`coalesce((${agentTypes.onboardingSchema} #>> '{knowledge_base,enabled}') <> 'false', true)`,
    })
    .from(agentInstances)
    .innerJoin(customers, eq(customers.id, agentInstances.customerId))
    .innerJoin(agentTypes, eq(agentTypes.id, agentInstances.agentTypeId))
    .where(eq(agentInstances.id, agentId))
    .limit(1)
  if (!row) return null
  const { customerActive, ...agent } = row
  return { agent, customerActive }
}

/**
 * Runs `target` (a query about the agent a path names, with an `agent_id` column) together with the
 * check of the calling agent (`X-Agent-Instance-ID`, or null when the call names none): always one row,
 * with `caller_active` (null when the calling agent does not exist) and the target's columns (all null
 * when the path's agent does not exist). The whole request stays one round trip.
 */
export async function readWithCallerCheck(
  db: Executor,
  callerId: string | null,
  target: SQL,
): Promise<Record<string, unknown>> {
  const { rows } = await db.execute(sql`
    SELECT h.caller_active, t.*
    FROM (SELECT (SELECT is_active FROM agent_instances WHERE id = ${callerId}::uuid) AS caller_active) h
    LEFT JOIN LATERAL (${target}) t ON true`)
  return rows[0] ?? {}
}
