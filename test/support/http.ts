import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { SERVICE_SECRET } from './env'

export const BASE = 'http://localhost'

/** A request through the Worker's real entry point. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init))
}

/** Headers of an agent-runtime call: the service secret, and the agent when given. */
export function internalHeaders(agentId?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Authorization: `Bearer ${SERVICE_SECRET}`,
    ...(agentId ? { 'X-Agent-Instance-ID': agentId } : {}),
    ...extra,
  }
}

/** Statements the request sent to the database, from its `Server-Timing` header. */
export function statementsOf(res: Response): number {
  const match = /db;desc="(\d+) statements"/.exec(res.headers.get('Server-Timing') ?? '')
  return match ? Number(match[1]) : 0
}

export { createExecutionContext, waitOnExecutionContext }
