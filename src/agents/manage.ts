import { and, eq, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { agentInstances } from '../db/schema'
import { Conflict, NotFound, UPGRADE_URL } from '../errors'
import { isUuid } from '../platform/uuid'
import { issueApiKey } from './api-keys'

export type AgentInstance = typeof agentInstances.$inferSelect

/** Where the agent's configuration keeps the sites allowed to embed its widget. */
export const EMBED_DOMAINS_KEY = 'embed_domains'
export const MAX_EMBED_DOMAINS = 20
const HOSTNAME = /^(\*\.)?(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/

const owned = (customerId: string, agentId: string) =>
  and(eq(agentInstances.id, agentId), eq(agentInstances.customerId, customerId))

/** The customer's agent; another customer's agent (or a malformed id) is simply not found. */
export async function customerAgent(db: Executor, customerId: string, agentId: string): Promise<AgentInstance> {
  if (!isUuid(agentId)) throw new NotFound('Agent')
  const [agent] = await db.select().from(agentInstances).where(owned(customerId, agentId))
  if (!agent) throw new NotFound('Agent')
  return agent
}

type AgentUpdate = { [K in keyof AgentInstance]?: AgentInstance[K] | SQL }

async function updateOwned(db: Executor, customerId: string, agentId: string, values: AgentUpdate) {
  if (!isUuid(agentId)) throw new NotFound('Agent')
  const [agent] = await db.update(agentInstances).set(values).where(owned(customerId, agentId)).returning()
  if (!agent) throw new NotFound('Agent')
  return agent
}

/** Billing switched the agent off; only billing (a payment, a plan, a credit) switches it back on. */
export class BillingKeepsAgentOff extends Conflict {
  constructor() {
    super(
      'Billing switched this agent off. It comes back on by itself as soon as billing allows it again: add balance or choose a plan on the billing page.',
      { nextStep: { label: 'Go to billing', href: UPGRADE_URL } },
    )
  }
}

/**
 * Switches an agent off by hand. An agent billing already switched off keeps billing's reason, so
 * deactivating and activating again cannot undo a billing switch-off. One conditional statement.
 */
export function deactivateAgent(db: Executor, customerId: string, agentId: string) {
  return updateOwned(db, customerId, agentId, {
    isActive: false,
    disabledReason: sql`CASE WHEN ${agentInstances.isActive} OR ${agentInstances.disabledReason} IS NULL
      THEN 'manual' ELSE ${agentInstances.disabledReason} END`,
  })
}

/**
 * Switches an agent back on, unless billing switched it off (then {@link BillingKeepsAgentOff}).
 * The condition is in the update itself, so a grace-expiry run at the same moment cannot be undone.
 */
export async function activateAgent(db: Executor, customerId: string, agentId: string) {
  if (!isUuid(agentId)) throw new NotFound('Agent')
  const [agent] = await db
    .update(agentInstances)
    .set({ isActive: true, disabledReason: null })
    .where(
      and(
        owned(customerId, agentId),
        or(isNull(agentInstances.disabledReason), eq(agentInstances.disabledReason, 'manual')),
      ),
    )
    .returning()
  if (agent) return agent
  await customerAgent(db, customerId, agentId)
  throw new BillingKeepsAgentOff()
}

/** A new key replaces the old one at once (only the new hash is stored); the full key is returned once. */
export async function rotateApiKey(db: Executor, customerId: string, agentId: string) {
  const issued = await issueApiKey()
  const agent = await updateOwned(db, customerId, agentId, { apiKeyPrefix: issued.prefix, apiKeyHash: issued.hash })
  return { agent, apiKey: issued.key }
}

/** Merges validated schema fields into the configuration; `agent_name` (or `name`) also renames the agent. */
export async function updateConfiguration(
  db: Executor,
  customerId: string,
  agentId: string,
  values: Record<string, unknown>,
  fieldNames: string[],
) {
  const agent = await customerAgent(db, customerId, agentId)
  const configuration = { ...agent.configuration }
  for (const name of fieldNames) {
    if (values[name] === undefined) delete configuration[name]
    else configuration[name] = values[name]
  }
  const rename = [values.agent_name, values.name].find((v): v is string => typeof v === 'string' && v.trim() !== '')
  return updateOwned(db, customerId, agentId, {
    configuration,
    ...(rename ? { name: rename.trim().slice(0, 100) } : {}),
  })
}

export type EmbedDomainsParse = { ok: true; domains: string[] } | { ok: false; error: string }

/** One hostname per line or comma (`example.com`, `*.example.com`); schemes and paths are stripped. */
export function parseEmbedDomains(input: string): EmbedDomainsParse {
  const entries = input
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean)
    .map((d) =>
      d
        .replace(/^https?:\/\//, '')
        .replace(/[/?#].*$/, '')
        .replace(/:\d+$/, ''),
    )
  const domains = [...new Set(entries)]
  if (domains.length > MAX_EMBED_DOMAINS) return { ok: false, error: `Add at most ${MAX_EMBED_DOMAINS} domains` }
  const bad = domains.find((d) => !HOSTNAME.test(d))
  if (bad) return { ok: false, error: `"${bad.slice(0, 80)}" is not a domain name (e.g. example.com or *.example.com)` }
  return { ok: true, domains }
}

export function embedDomainsOf(agent: AgentInstance): string[] {
  const value = agent.configuration[EMBED_DOMAINS_KEY]
  return Array.isArray(value) ? value.filter((d): d is string => typeof d === 'string') : []
}

export async function setEmbedDomains(db: Executor, customerId: string, agentId: string, domains: string[]) {
  const agent = await customerAgent(db, customerId, agentId)
  return updateOwned(db, customerId, agentId, {
    configuration: { ...agent.configuration, [EMBED_DOMAINS_KEY]: domains },
  })
}
