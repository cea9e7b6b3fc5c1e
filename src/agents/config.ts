import { sql } from 'drizzle-orm'
import { billingSnapshotQuery } from '../billing/rules/billing-snapshot'
import { type CanRespond, canRespondFromRow } from '../billing/rules/can-respond'
import type { Executor } from '../db/client'
import { sha256Hex } from '../platform/crypto'
import { readWithCallerCheck } from './runtime-access'

/** Configuration fields that describe who the agent is, passed to the runtime as `identity`. */
const IDENTITY_FIELDS = ['greeting', 'tone', 'language', 'persona', 'avatar_url', 'welcome_message', 'primary_color']

export interface AgentConfig {
  agent_id: string
  agent_type: string
  customer_id: string
  is_active: boolean
  identity: { name: string; greeting: string | null } & Record<string, string | number | boolean | null>
  system_prompt: string
  knowledge_base: { id: string; name: string; enabled: boolean } | null
  billing: { can_respond: boolean } & CanRespond
  embed_domains: string[]
  configuration: Record<string, unknown>
  config_version: string
}

type Scalar = string | number | boolean

const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'

function promptValue(v: unknown): string | null {
  if (isScalar(v)) return String(v)
  if (Array.isArray(v) && v.every(isScalar)) return v.join(', ')
  return null
}

/**
 * Fills `{name}` placeholders (Python `str.format` style, `{{`/`}}` for literal braces). A placeholder
 * without a value stays as it is, visibly, so a template never breaks a config.
 */
export function renderSystemPrompt(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string | undefined) => {
    if (match === '{{') return '{'
    if (match === '}}') return '}'
    const value = name !== undefined && Object.hasOwn(values, name) ? promptValue(values[name]) : null
    return value ?? match
  })
}

/** One row per existing agent with everything its config needs (agent, type, KB link, customer, billing). */
export function agentConfigSql(agentId: string) {
  return sql`
    SELECT a.id AS agent_id, a.customer_id, a.is_active AS agent_is_active, a.name AS agent_name, a.configuration,
      t.slug AS type_slug, t.system_prompt_template, t.onboarding_schema -> 'knowledge_base' AS type_kb_settings,
      k.id AS kb_id, k.name AS kb_name, c.name AS company_name, bs.*
    FROM agent_instances a
    JOIN agent_types t ON t.id = a.agent_type_id
    JOIN customers c ON c.id = a.customer_id
    LEFT JOIN knowledge_bases k ON k.id = a.knowledge_base_id AND k.customer_id = a.customer_id
    CROSS JOIN LATERAL (${billingSnapshotQuery(sql`a.customer_id`)}) bs
    WHERE a.id = ${agentId}`
}

/** {@link agentConfigSql} of `agentId` with the calling agent's check (see `readWithCallerCheck`). */
export function readAgentConfigRow(db: Executor, callerId: string | null, agentId: string) {
  return readWithCallerCheck(db, callerId, agentConfigSql(agentId))
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null)
const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/**
 * The runtime's view of an agent. `config_version` hashes everything in it except the live usage
 * figures, so it changes with the agent, its type, its KB link, the customer or the plan/billing
 * decision, but not with every message counted.
 */
export async function agentConfigFromRow(row: Record<string, unknown>, now: Date = new Date()): Promise<AgentConfig> {
  const configuration = asObject(row.configuration)
  const name = text(configuration.agent_name) ?? String(row.agent_name)
  const identity: AgentConfig['identity'] = { name, greeting: text(configuration.greeting) }
  for (const field of IDENTITY_FIELDS) {
    const value = configuration[field]
    if (isScalar(value)) identity[field] = value
  }
  const companyName = String(row.company_name ?? '')
  const systemPrompt = renderSystemPrompt(String(row.system_prompt_template ?? ''), {
    company_name: companyName,
    customer_name: companyName,
    agent_name: name,
    ...configuration,
  })
  const embedDomains = Array.isArray(configuration.embed_domains)
    ? configuration.embed_domains.filter((d): d is string => typeof d === 'string')
    : []
  const { agent_id, customer_id, agent_is_active, ...billing } = canRespondFromRow(row, now)
  const kbEnabled = asObject(row.type_kb_settings).enabled !== false
  const config: Omit<AgentConfig, 'config_version'> = {
    agent_id,
    agent_type: String(row.type_slug),
    customer_id,
    is_active: agent_is_active,
    identity,
    system_prompt: systemPrompt,
    knowledge_base: row.kb_id ? { id: String(row.kb_id), name: String(row.kb_name), enabled: kbEnabled } : null,
    billing: { can_respond: billing.allowed, ...billing },
    embed_domains: embedDomains,
    configuration,
  }
  const { usage_remaining: _remaining, usage: _usage, extra_balance_cents: _balance, ...stableBilling } = config.billing
  const version = await sha256Hex(JSON.stringify({ ...config, billing: stableBilling }))
  return { ...config, config_version: version.slice(0, 32) }
}
