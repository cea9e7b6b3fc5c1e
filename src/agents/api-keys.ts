import { randomAlphanumeric, sha256Hex } from '../platform/crypto'

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
