import type { z } from 'zod'
import { agentConfigSchema } from '../../src/api/internal/routes/config'
import { canRespondSchema } from '../../src/api/internal/routes/schemas'
import type { usageBatchResultSchema } from '../../src/api/internal/routes/usage-batch'
import { validateKeySchema } from '../../src/api/internal/routes/validate-key'
import type { Executor } from '../../src/db/client'
import type { PlanLimits } from '../../src/db/schema'
import { type FactoryOverrides, factories } from './factories'
import { type Body, bodyOf, call, internalHeaders } from './http'

export const hours = (n: number) => new Date(Date.now() + n * 3_600_000)
export const days = (n: number) => hours(24 * n)

export interface BilledAgentOptions {
  limits?: PlanLimits
  subscription?: FactoryOverrides<'subscription'> | false
  customer?: FactoryOverrides<'customer'>
  agent?: FactoryOverrides<'agentInstance'>
}

/** A customer with an agent and (unless `subscription: false`) an active subscription on its own plan. */
export async function billedAgent(db: Executor, o: BilledAgentOptions = {}) {
  const f = factories(db)
  const customer = await f.customer(o.customer)
  const agent = await f.agentInstance({ customerId: customer.id, ...o.agent })
  const plan = await f.plan(o.limits ? { limits: o.limits } : {})
  const subscription =
    o.subscription === false
      ? null
      : await f.subscription({ customerId: customer.id, planId: plan.id, ...o.subscription })
  return { f, customer, agent, plan, subscription }
}

/** A GET of the internal API, its body checked against `schema` (see {@link bodyOf}). */
export async function getJson<S extends z.ZodType>(path: string, headers: Record<string, string>, schema: S) {
  const res = await call(path, { headers })
  return { res, body: await bodyOf(res, schema) }
}

export const canRespond = (agentId: string, headers = internalHeaders()) =>
  getJson(`/api/internal/billing/can-respond/${agentId}`, headers, canRespondSchema)

export const getAgentConfig = (agentId: string, headers = internalHeaders(agentId)) =>
  getJson(`/api/internal/agent/${agentId}/config`, headers, agentConfigSchema)

export const validateApiKey = (headers: Record<string, string>) =>
  getJson('/api/internal/agent/validate-key', headers, validateKeySchema)

export type UsageBatchBody = Body<typeof usageBatchResultSchema>

export function postBatch(reports: unknown[], headers = internalHeaders()) {
  return call('/api/internal/usage/batch', {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reports }),
  })
}

export function report(agentId: string, metrics: Record<string, unknown> = { messages: 1 }, extra: object = {}) {
  return {
    agent_instance_id: agentId,
    timestamp: new Date().toISOString(),
    metrics,
    request_id: crypto.randomUUID(),
    ...extra,
  }
}
