import type { Executor } from '../../src/db/client'
import type { PlanLimits } from '../../src/db/schema'
import { factories } from './factories'
import { call, internalHeaders } from './http'

export const hours = (n: number) => new Date(Date.now() + n * 3_600_000)
export const days = (n: number) => hours(24 * n)

export interface BilledAgentOptions {
  limits?: PlanLimits
  subscription?: Parameters<ReturnType<typeof factories>['subscription']>[0] | false
  customer?: Parameters<ReturnType<typeof factories>['customer']>[0]
  agent?: Parameters<ReturnType<typeof factories>['agentInstance']>[0]
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

export type Json = Record<string, unknown> & { error?: { code: string; message: string; request_id: string } }

export async function getJson(path: string, headers: Record<string, string>) {
  const res = await call(path, { headers })
  return { res, body: (await res.json()) as Json }
}

export const canRespond = (agentId: string, headers = internalHeaders()) =>
  getJson(`/api/internal/billing/can-respond/${agentId}`, headers)

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
