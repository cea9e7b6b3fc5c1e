import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { billingSnapshotQuery } from '../billing/rules/billing-snapshot'
import type { Executor } from '../db/client'

/**
 * Everything the three per-message calls (validate-key, config, can-respond) decide on for one
 * customer, as one JSON document: the customer's billing snapshot (the columns of
 * `billingSnapshotQuery`), its name, and each agent with its config inputs and API key.
 */
export const customerSnapshotSchema = z.object({
  billing: z.record(z.string(), z.unknown()),
  company_name: z.string(),
  agents: z.array(
    z.object({
      agent_id: z.string(),
      customer_id: z.string(),
      agent_is_active: z.boolean(),
      agent_name: z.string(),
      configuration: z.unknown(),
      type_slug: z.string(),
      system_prompt_template: z.string().nullable(),
      type_kb_settings: z.unknown(),
      kb_id: z.string().nullable(),
      kb_name: z.string().nullable(),
      knowledge_base_id: z.string().nullable(),
      api_key_hash: z.string(),
    }),
  ),
})
export type CustomerSnapshot = z.infer<typeof customerSnapshotSchema>
export type SnapshotAgent = CustomerSnapshot['agents'][number]

/** The customer's state version, and its snapshot when that version is not `knownVersion`. */
export interface SnapshotRead {
  /** Null when the customer does not exist (any more). */
  version: number | null
  snapshot: CustomerSnapshot | null
}

/**
 * One statement, in one MVCC snapshot: the customer's `edge_state_versions` version and, only when it
 * differs from `knownVersion` (pass null to always get it), the whole snapshot. So confirming that
 * nothing changed costs one small round trip, and a reload never pairs data with a version it is not.
 */
export async function readCustomerSnapshot(
  db: Executor,
  customerId: string,
  knownVersion: number | null,
): Promise<SnapshotRead> {
  const { rows } = await db.execute(sql`
    SELECT coalesce(v.version, 0)::float8 AS version,
      CASE WHEN ${knownVersion}::float8 IS NULL OR coalesce(v.version, 0) <> ${knownVersion}::float8 THEN jsonb_build_object(
        'billing', (SELECT to_jsonb(bs) FROM (${billingSnapshotQuery(sql`c.id`)}) bs),
        'company_name', c.name,
        'agents', coalesce((
          SELECT jsonb_agg(jsonb_build_object(
            'agent_id', a.id, 'customer_id', a.customer_id, 'agent_is_active', a.is_active, 'agent_name', a.name,
            'configuration', a.configuration, 'type_slug', t.slug, 'system_prompt_template', t.system_prompt_template,
            'type_kb_settings', t.onboarding_schema -> 'knowledge_base', 'kb_id', k.id, 'kb_name', k.name,
            'knowledge_base_id', a.knowledge_base_id, 'api_key_hash', a.api_key_hash) ORDER BY a.id)
          FROM agent_instances a
          JOIN agent_types t ON t.id = a.agent_type_id
          LEFT JOIN knowledge_bases k ON k.id = a.knowledge_base_id AND k.customer_id = a.customer_id
          WHERE a.customer_id = c.id), '[]'::jsonb)
      ) END AS snapshot
    FROM customers c
    LEFT JOIN edge_state_versions v ON v.customer_id = c.id
    WHERE c.id = ${customerId}::uuid`)
  const row = rows[0]
  if (!row) return { version: null, snapshot: null }
  return {
    version: Number(row.version),
    snapshot: row.snapshot == null ? null : customerSnapshotSchema.parse(row.snapshot),
  }
}

/**
 * The row `readWithCallerCheck` would return for an agent of this snapshot, called by itself or by no
 * agent: the agent's config columns, the customer's billing columns, and `caller_active`.
 */
export function agentRowOf(snapshot: CustomerSnapshot, agent: SnapshotAgent, callerId: string | null) {
  const { api_key_hash: _hash, knowledge_base_id: _kb, ...columns } = agent
  return {
    caller_active: callerId === null ? null : agent.agent_is_active,
    ...columns,
    company_name: snapshot.company_name,
    ...snapshot.billing,
  } as Record<string, unknown>
}
