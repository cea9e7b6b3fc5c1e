import { eq } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { agentInstances, agentTypes, customers } from '../db/schema'
import { randomAlphanumeric, sha256Hex, timingSafeEqualStrings } from '../platform/crypto'

/**
 * Agent API keys: `efk_<public id>_<secret>`. The stored prefix is `efk_<public id>`
 * (everything before the second `_`), the stored hash the lowercase hex SHA-256 of the
 * full key. The full key is shown once and never stored.
 */
const KEY_PATTERN = /^(efk_[A-Za-z0-9]{1,64})_[A-Za-z0-9_-]{1,128}$/

export interface IssuedApiKey {
  key: string
  prefix: string
  hash: string
}

export async function issueApiKey(): Promise<IssuedApiKey> {
  const prefix = `efk_${randomAlphanumeric(12)}`
  const key = `${prefix}_${randomAlphanumeric(32)}`
  return { key, prefix, hash: await sha256Hex(key) }
}

/** The stored prefix of a presented key, or null when the key is not of our format. */
export function apiKeyPrefixOf(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null
}

export const hashApiKey = sha256Hex

/** The agent a valid API key belongs to. */
export interface ApiKeyOwner {
  id: string
  customerId: string
  isActive: boolean
  name: string
  knowledgeBaseId: string | null
  agentType: string
}

/** Compared against when no agent has the key's prefix, so a miss costs the same as a wrong secret. */
const NO_SUCH_HASH = '0'.repeat(64)

/** The agent a key of our format opens, with its customer's standing; null for no such key. */
export interface ApiKeyRecord {
  owner: ApiKeyOwner
  customerActive: boolean
}

/**
 * The agent whose API key `key` is, in one statement (none for a key not of our format): null for
 * an unknown or wrong key. A miss costs the same hash comparison as a wrong secret.
 */
export async function lookupApiKey(db: Executor, key: string): Promise<ApiKeyRecord | null> {
  const prefix = apiKeyPrefixOf(key)
  if (!prefix) return null
  const [agent] = await db
    .select({
      id: agentInstances.id,
      customerId: agentInstances.customerId,
      isActive: agentInstances.isActive,
      name: agentInstances.name,
      knowledgeBaseId: agentInstances.knowledgeBaseId,
      apiKeyHash: agentInstances.apiKeyHash,
      agentType: agentTypes.slug,
      customerActive: customers.isActive,
    })
    .from(agentInstances)
    .innerJoin(agentTypes, eq(agentTypes.id, agentInstances.agentTypeId))
    .innerJoin(customers, eq(customers.id, agentInstances.customerId))
    .where(eq(agentInstances.apiKeyPrefix, prefix))
    .limit(1)
  const hashMatches = await timingSafeEqualStrings(await hashApiKey(key), agent?.apiKeyHash ?? NO_SUCH_HASH)
  if (!agent || !hashMatches) return null
  const { apiKeyHash: _hash, customerActive, ...owner } = agent
  return { owner, customerActive }
}

/**
 * What validate-key answers for a key's record: its owner, or null for no record, a key of a
 * suspended customer (its keys open nothing), and when `scopedTo` names another agent.
 */
export function keyOwnerFor(
  record: { owner: ApiKeyOwner; customerActive: boolean } | null,
  scopedTo?: string,
): ApiKeyOwner | null {
  if (!record?.customerActive) return null
  if (scopedTo !== undefined && scopedTo.toLowerCase() !== record.owner.id) return null
  return record.owner
}

/** {@link lookupApiKey} judged by {@link keyOwnerFor}. */
export async function findApiKeyOwner(db: Executor, key: string, scopedTo?: string): Promise<ApiKeyOwner | null> {
  return keyOwnerFor(await lookupApiKey(db, key), scopedTo)
}
