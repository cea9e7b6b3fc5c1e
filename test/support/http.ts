import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import type { z } from 'zod'
import { type ErrorEnvelope, errorEnvelopeSchema } from '../../src/http/errors'
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

/**
 * A JSON body typed by the route's own response schema, with the error envelope for failures
 * (the test checks the status; {@link bodyOf} has checked the shape that goes with it).
 */
export type Body<S extends z.ZodType> = z.output<S> & Partial<ErrorEnvelope>

/**
 * The response's JSON, checked against the schema the route declares (a 2xx) or the error
 * envelope (anything else): a response that breaks its contract fails the test here. The body
 * is returned as sent (not the parsed copy, which would drop unexpected fields).
 */
export async function bodyOf<S extends z.ZodType>(res: Response, success: S): Promise<Body<S>> {
  const json: unknown = await res.json()
  const checked = (res.ok ? success : errorEnvelopeSchema).safeParse(json)
  if (!checked.success) {
    throw new Error(`HTTP ${res.status} body breaks its schema: ${checked.error.message}\n${JSON.stringify(json)}`)
  }
  return json as Body<S>
}
