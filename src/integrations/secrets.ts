import { type Encrypted, isEncrypted } from '../db/encrypted-column'
import { createFernet, type Fernet } from '../platform/fernet'
import type { Logger } from '../platform/logger'

const perKeyList = new WeakMap<readonly string[], Fernet>()

/** The Fernet of a validated `ENCRYPTION_KEY` list (the config's array), reused for the isolate. */
export function fernetFor(keys: readonly string[]): Fernet {
  let fernet = perKeyList.get(keys)
  if (!fernet) {
    fernet = createFernet(keys)
    perKeyList.set(keys, fernet)
  }
  return fernet
}

/** The only way to mint a value for an `encryptedText` column: a Fernet token under the first key. */
export async function encryptSecret(keys: readonly string[], plaintext: string): Promise<Encrypted> {
  const token = await fernetFor(keys).encrypt(plaintext)
  if (!isEncrypted(token)) throw new Error('Fernet produced an unexpected token')
  return token
}

export async function encryptNullable(keys: readonly string[], plaintext: string | null): Promise<Encrypted | null> {
  return plaintext === null ? null : encryptSecret(keys, plaintext)
}

export interface DecryptContext {
  logger: Logger
  /** Which row and column the value came from, for the warning (never the value itself). */
  row: { table: string; column: string; id: string }
}

/**
 * A stored secret in plaintext. NULL stays null; a value that no configured key opens
 * (wrong key, corrupted, not Fernet) reads as "" and logs a warning naming the row.
 */
export async function decryptSecret(
  keys: readonly string[],
  value: Encrypted | string | null,
  context: DecryptContext,
): Promise<string | null> {
  if (value === null) return null
  try {
    return await fernetFor(keys).decrypt(value)
  } catch {
    context.logger.warn('stored secret could not be decrypted; treating it as empty', {
      table: context.row.table,
      column: context.row.column,
      row_id: context.row.id,
    })
    return ''
  }
}
