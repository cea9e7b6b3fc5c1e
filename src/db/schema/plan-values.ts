// Deliberately import-free: Node scripts (scripts/catalog.ts) load it directly.

/** Metric name → limit per billing period (`messages`, `tokens`, `agents`, `knowledge_bases`). */
export const PLAN_LIMIT_KEYS = [
  'messages',
  'tokens',
  'agents',
  'knowledge_bases',
  /** Knowledge documents in all, their stored files in MB, and tokens embedded per billing period. */
  'documents',
  'document_storage_mb',
  'embedding_tokens',
] as const
export type PlanLimits = Partial<Record<(typeof PLAN_LIMIT_KEYS)[number], number>>

export const BILLING_PERIODS = ['monthly', 'yearly'] as const
