import { customType } from 'drizzle-orm/pg-core'

declare const encryptedBrand: unique symbol

/**
 * A Fernet token. Only the encryption module mints values of this type, so a
 * plaintext string cannot be assigned to an encrypted column by mistake.
 */
export type Encrypted = string & { readonly [encryptedBrand]: true }

const FERNET_PREFIX = 'gAAAAA'

export function isEncrypted(value: unknown): value is Encrypted {
  return typeof value === 'string' && value.startsWith(FERNET_PREFIX)
}

/**
 * The one column type for secrets at rest. The database only ever sees Fernet
 * tokens (or NULL); writing anything else throws before the query is sent.
 */
export const encryptedText = customType<{ data: Encrypted; driverData: string }>({
  dataType: () => 'text',
  toDriver(value) {
    if (!isEncrypted(value)) throw new TypeError('refusing to store an unencrypted secret')
    return value
  },
  fromDriver: (value) => value as Encrypted,
})
