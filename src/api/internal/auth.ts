import type { MiddlewareHandler } from 'hono'
import { findRuntimeAgent, type RuntimeAgent } from '../../agents/runtime-access'
import { HttpError } from '../../http/errors'
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
  if (!token) throw new HttpError('UNAUTHORIZED', 'Missing service credentials: send Authorization: Bearer <secret>')
  if (!(await isServiceSecret(token, c.var.services.config.HUB_SERVICE_SECRET))) {
    throw new HttpError('UNAUTHORIZED', 'Invalid service credentials')
  }
  await next()
}

/** The `X-Agent-Instance-ID` of an agent-scoped call, validated for shape (not yet for existence). */
export function agentIdHeader(value: string | undefined): string {
  if (!value) throw new HttpError('UNAUTHORIZED', 'Missing X-Agent-Instance-ID header')
  if (!isUuid(value)) throw new HttpError('UNAUTHORIZED', 'X-Agent-Instance-ID must be a UUID')
  return value.toLowerCase()
}

/** The agent an agent-scoped call acts for (never its API key hash). */
export type AuthenticatedAgent = RuntimeAgent

/** An operator suspended the agent's customer: the runtime gets nothing of theirs. */
export const customerSuspended = () =>
  new HttpError('FORBIDDEN', "The agent's customer is suspended; contact support to restore service")

export interface AgentScopedEnv extends HonoEnv {
  Variables: HonoEnv['Variables'] & { agent: AuthenticatedAgent }
}

/**
 * Agent-scoped routes: loads the agent named in `X-Agent-Instance-ID` (one statement) and sets
 * it as `c.var.agent`. Missing, malformed or unknown → 401; inactive, or its customer suspended → 403.
 * Runs after `serviceAuth`.
 */
export const agentAuth = (): MiddlewareHandler<AgentScopedEnv> => async (c, next) => {
  const agentId = agentIdHeader(c.req.header('X-Agent-Instance-ID'))
  const found = await findRuntimeAgent(c.var.services.database.db, agentId)
  if (!found) throw new HttpError('UNAUTHORIZED', 'Unknown agent in X-Agent-Instance-ID')
  const { agent, customerActive } = found
  if (!agent.isActive) throw new HttpError('FORBIDDEN', 'The agent in X-Agent-Instance-ID is inactive')
  if (!customerActive) throw customerSuspended()
  c.set('agent', agent)
  await next()
}

/**
 * The rules of an agent-scoped route whose path names an agent, applied to a `readWithCallerCheck` row:
 * unknown header agent → 401, inactive → 403; unknown path agent → 404; a different agent → 403.
 */
export function assertCallerMayAct(row: Record<string, unknown>, callerId: string | null) {
  if (callerId !== null) {
    if (row.caller_active === null || row.caller_active === undefined) {
      throw new HttpError('UNAUTHORIZED', 'Unknown agent in X-Agent-Instance-ID')
    }
    if (row.caller_active !== true) throw new HttpError('FORBIDDEN', 'The agent in X-Agent-Instance-ID is inactive')
  }
  if (row.agent_id === null || row.agent_id === undefined) throw new HttpError('NOT_FOUND', 'Agent not found')
  if (callerId !== null && String(row.agent_id).toLowerCase() !== callerId) {
    throw new HttpError('FORBIDDEN', 'X-Agent-Instance-ID does not match the agent in the path')
  }
  if (row.agent_is_active !== true) throw new HttpError('FORBIDDEN', 'The agent is inactive')
}
