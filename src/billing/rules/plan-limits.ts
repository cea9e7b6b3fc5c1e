import { sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Executor } from '../../db/client'
import { PLAN_LIMIT_KEYS, type PlanLimits } from '../../db/schema'
import { NotFound, PlanLimitReached } from '../../errors'

/** Usage metrics metered per billing period; `tokens` is input + output. */
export const USAGE_METRICS = ['messages', 'tokens'] as const
export type UsageMetric = (typeof USAGE_METRICS)[number]

/** Things a plan caps by count (checked when the customer creates one). */
export type CountedResource = 'agents' | 'knowledge_bases'

const limitValue = z.number().int().nonnegative()

/** The limits a plan really sets: absent, negative or non-numeric entries mean "no limit". */
export function normalizeLimits(raw: unknown): PlanLimits {
  const limits: PlanLimits = {}
  if (!raw || typeof raw !== 'object') return limits
  for (const key of PLAN_LIMIT_KEYS) {
    const parsed = limitValue.safeParse((raw as Record<string, unknown>)[key])
    if (parsed.success) limits[key] = parsed.data
  }
  return limits
}

const CURRENT_SUBSCRIPTION = sql.raw(`s.status IN ('active', 'trialing')`)

/** The limits of the customer's active or trialing plan; null without one. One statement. */
export async function planLimitsFor(db: Executor, customerId: string): Promise<PlanLimits | null> {
  const { rows } = await db.execute<{ limits: unknown }>(sql`
    SELECT p.limits FROM subscriptions s JOIN plans p ON p.id = s.plan_id
    WHERE s.customer_id = ${customerId} AND ${CURRENT_SUBSCRIPTION}`)
  return rows[0] ? normalizeLimits(rows[0].limits) : null
}

const countSql: Record<CountedResource, ReturnType<typeof sql.raw>> = {
  agents: sql.raw('(SELECT count(*) FROM agent_instances x WHERE x.customer_id = c.id)::int'),
  knowledge_bases: sql.raw('(SELECT count(*) FROM knowledge_bases x WHERE x.customer_id = c.id)::int'),
}

const label: Record<CountedResource, [string, string]> = {
  agents: ['agent', 'agents'],
  knowledge_bases: ['knowledge base', 'knowledge bases'],
}

/**
 * Throws {@link PlanLimitReached} when the customer may not create one more agent / knowledge base: no active or
 * trialing subscription, or the plan's count already reached. One statement. Call it inside the
 * transaction that creates the row so the count and the insert agree.
 */
export async function assertWithinPlanLimit(db: Executor, customerId: string, resource: CountedResource) {
  const { rows } = await db.execute<{ limits: unknown; used: number; has_plan: boolean }>(sql`
    SELECT p.limits, ${countSql[resource]} AS used, s.id IS NOT NULL AS has_plan
    FROM customers c
    LEFT JOIN subscriptions s ON s.customer_id = c.id AND ${CURRENT_SUBSCRIPTION}
    LEFT JOIN plans p ON p.id = s.plan_id
    WHERE c.id = ${customerId}`)
  const row = rows[0]
  if (!row) throw new NotFound('Customer')
  if (!row.has_plan) {
    throw new PlanLimitReached(`An active subscription is needed to create ${label[resource][1]}.`, {
      name: 'plan',
      allowed: null,
      used: 0,
    })
  }
  const limit = normalizeLimits(row.limits)[resource]
  const used = Number(row.used)
  if (limit !== undefined && used >= limit) {
    throw new PlanLimitReached(
      `Your plan allows ${limit} ${label[resource][limit === 1 ? 0 : 1]}; upgrade to add more.`,
      { name: resource, allowed: limit, used },
    )
  }
  return { limit: limit ?? null, used }
}
