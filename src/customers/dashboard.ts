import { sql } from 'drizzle-orm'
import { normalizeLimits } from '../billing/rules/plan-limits'
import type { Executor } from '../db/client'
import type { PlanLimits } from '../db/schema'

export interface DashboardPlan {
  name: string
  slug: string
  status: string
  limits: PlanLimits
  currentPeriodStart: Date
  currentPeriodEnd: Date
  trialEndsAt: Date | null
}

export interface DashboardAgent {
  id: string
  name: string
  typeName: string
  isActive: boolean
  disabledReason: string | null
  apiKeyPrefix: string
  knowledgeBaseName: string | null
  messages: number
  tokens: number
}

export interface DashboardKnowledgeBase {
  id: string
  name: string
  documents: number
}

export interface Dashboard {
  plan: DashboardPlan | null
  gracePeriodEndsAt: Date | null
  agents: DashboardAgent[]
  knowledgeBases: DashboardKnowledgeBase[]
  usage: { messages: number; tokens: number }
}

const toDate = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string))

/** Everything the dashboard shows, scoped to one customer: plan, this period's usage per agent, knowledge bases. */
export async function loadDashboard(db: Executor, customerId: string): Promise<Dashboard> {
  const planResult = await db.execute<Record<string, unknown>>(sql`
    SELECT p.name, p.slug, p.limits, s.status, s.current_period_start, s.current_period_end, s.trial_ends_at,
           c.grace_period_ends_at
    FROM customers c
    LEFT JOIN subscriptions s ON s.customer_id = c.id
    LEFT JOIN plans p ON p.id = s.plan_id
    WHERE c.id = ${customerId}`)
  const planRow = planResult.rows[0] ?? {}
  const plan: DashboardPlan | null = planRow.status
    ? {
        name: String(planRow.name),
        slug: String(planRow.slug),
        status: String(planRow.status),
        limits: normalizeLimits(planRow.limits),
        currentPeriodStart: toDate(planRow.current_period_start)!,
        currentPeriodEnd: toDate(planRow.current_period_end)!,
        trialEndsAt: toDate(planRow.trial_ends_at),
      }
    : null
  const periodStart = plan?.currentPeriodStart ?? new Date(0)
  const periodEnd = plan?.currentPeriodEnd ?? new Date(8.64e15)

  // This period's usage is the records that start inside it, as in the billing snapshot (a trial or a
  // closed period that overlaps it is not this period's usage).
  const [agentsResult, kbResult] = await Promise.all([
    db.execute<Record<string, unknown>>(sql`
      SELECT a.id, a.name, t.name AS type_name, a.is_active, a.disabled_reason, a.api_key_prefix, kb.name AS kb_name,
             coalesce(u.messages, 0)::float8 AS messages, coalesce(u.tokens, 0)::float8 AS tokens
      FROM agent_instances a
      JOIN agent_types t ON t.id = a.agent_type_id
      LEFT JOIN knowledge_bases kb ON kb.id = a.knowledge_base_id AND kb.customer_id = a.customer_id
      LEFT JOIN LATERAL (
        SELECT sum(r.messages) AS messages, sum(r.input_tokens + r.output_tokens) AS tokens
        FROM usage_records r
        WHERE r.agent_instance_id = a.id AND r.customer_id = a.customer_id
          AND r.period_start >= ${periodStart} AND r.period_start < ${periodEnd}
      ) u ON true
      WHERE a.customer_id = ${customerId}
      ORDER BY a.created_at`),
    db.execute<Record<string, unknown>>(sql`
      SELECT kb.id, kb.name, (SELECT count(*) FROM knowledge_documents d WHERE d.knowledge_base_id = kb.id)::int AS documents
      FROM knowledge_bases kb WHERE kb.customer_id = ${customerId} ORDER BY kb.name`),
  ])
  const agents = agentsResult.rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    typeName: String(r.type_name),
    isActive: Boolean(r.is_active),
    disabledReason: (r.disabled_reason as string | null) ?? null,
    apiKeyPrefix: String(r.api_key_prefix),
    knowledgeBaseName: (r.kb_name as string | null) ?? null,
    messages: Number(r.messages),
    tokens: Number(r.tokens),
  }))
  return {
    plan,
    gracePeriodEndsAt: toDate(planRow.grace_period_ends_at),
    agents,
    knowledgeBases: kbResult.rows.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      documents: Number(r.documents),
    })),
    usage: {
      messages: agents.reduce((sum, a) => sum + a.messages, 0),
      tokens: agents.reduce((sum, a) => sum + a.tokens, 0),
    },
  }
}
