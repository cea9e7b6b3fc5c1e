import { eq, getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { MiddlewareHandler } from 'hono'
import { agentInstances, agentTypes, customers } from '../../db/schema'
import { AppError } from '../../errors'
import { timingSafeEqualStrings } from '../../platform/crypto'
import { isUuid } from '../../platform/uuid'
import type { HonoEnv } from '../../types'

/**
 * `Authorization: Bearer <secret>` against every configured service secret (rotation),
 * compared in constant time: every candidate is checked, digests not raw strings.
 */
export async function isServiceSecret(presented: string, secrets: readonly string[]): Promise<boolean> {
  const results = await Promise.all(secrets.map((secret) => timingSafeEqualStrings(presented, secret)))
  return results.includes(true)
}

export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1] ?? null
}

/** Every internal API route: the caller is the agent runtime. */
export const serviceAuth = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  const token = bearerToken(c.req.header('Authorization'))
  if (!token) throw new AppError('UNAUTHORIZED', 'Missing service credentials: send Authorization: Bearer <secret>')
  if (!(await isServiceSecret(token, c.var.services.config.HUB_SERVICE_SECRET))) {
    throw new AppError('UNAUTHORIZED', 'Invalid service credentials')
  }
  await next()
}

/** The `X-Agent-Instance-ID` of an agent-scoped call, validated for shape (not yet for existence). */
export function agentIdHeader(value: string | undefined): string {
  if (!value) throw new AppError('UNAUTHORIZED', 'Missing X-Agent-Instance-ID header')
  if (!isUuid(value)) throw new AppError('UNAUTHORIZED', 'X-Agent-Instance-ID must be a UUID')
  return value.toLowerCase()
}

/** The agent an agent-scoped call acts for (never its API key hash). */
export type AuthenticatedAgent = Omit<typeof agentInstances.$inferSelect, 'apiKeyHash'> & {
  /** The agent type's `knowledge_base.enabled` onboarding flag (default on). */
  knowledgeBaseEnabled: boolean
}

/** An operator suspended the agent's customer: the runtime gets nothing of theirs. */
export const customerSuspended = () =>
  new AppError('FORBIDDEN', "The agent's customer is suspended; contact support to restore service")

export interface AgentScopedEnv extends HonoEnv {
  Variables: HonoEnv['Variables'] & { agent: AuthenticatedAgent }
}

const { apiKeyHash: _hash, ...agentColumns } = getTableColumns(agentInstances)

/**
 * Agent-scoped routes: loads the agent named in `X-Agent-Instance-ID` (one statement) and sets
 * it as `c.var.agent`. Missing, malformed or unknown → 401; inactive, or its customer suspended → 403.
 * Runs after `serviceAuth`.
 */
export const agentAuth = (): MiddlewareHandler<AgentScopedEnv> => async (c, next) => {
  const agentId = agentIdHeader(c.req.header('X-Agent-Instance-ID'))
  const [row] = await c.var.services.database.db
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
  if (!row) throw new AppError('UNAUTHORIZED', 'Unknown agent in X-Agent-Instance-ID')
  if (!row.isActive) throw new AppError('FORBIDDEN', 'The agent in X-Agent-Instance-ID is inactive')
  const { customerActive, ...agent } = row
  if (!customerActive) throw customerSuspended()
  c.set('agent', agent)
  await next()
}

/**
 * Folds the `X-Agent-Instance-ID` check into a route's own statement: always one row, with
 * `caller_active` (null when the header's agent does not exist) and the target query's columns
 * (all null when the path's agent does not exist). The whole request stays one round trip.
 */
export function withCallerCheck(callerId: string | null, target: SQL) {
  return sql`
    SELECT h.caller_active, t.*
    FROM (SELECT (SELECT is_active FROM agent_instances WHERE id = ${callerId}::uuid) AS caller_active) h
    LEFT JOIN LATERAL (${target}) t ON true`
}

/**
 * The rules of an agent-scoped route whose path names an agent, applied to a {@link withCallerCheck} row:
 * unknown header agent → 401, inactive → 403; unknown path agent → 404; a different agent → 403.
 */
export function assertCallerMayAct(row: Record<string, unknown>, callerId: string | null) {
  if (callerId !== null) {
    if (row.caller_active === null || row.caller_active === undefined) {
      throw new AppError('UNAUTHORIZED', 'Unknown agent in X-Agent-Instance-ID')
    }
    if (row.caller_active !== true) throw new AppError('FORBIDDEN', 'The agent in X-Agent-Instance-ID is inactive')
  }
  if (row.agent_id === null || row.agent_id === undefined) throw new AppError('NOT_FOUND', 'Agent not found')
  if (callerId !== null && String(row.agent_id).toLowerCase() !== callerId) {
    throw new AppError('FORBIDDEN', 'X-Agent-Instance-ID does not match the agent in the path')
  }
  if (row.agent_is_active !== true) throw new AppError('FORBIDDEN', 'The agent is inactive')
}
