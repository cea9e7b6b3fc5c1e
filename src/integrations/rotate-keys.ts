// Re-encryption of every stored secret under the first ENCRYPTION_KEY. Storage-agnostic and
// import-free apart from `.ts` siblings, so scripts/rotate-keys.ts runs it in Node over
// postgres.js and the tests run it in workerd over the app's driver.
import { createFernet } from '../platform/fernet.ts'
import { SECRET_COLUMNS } from './secret-columns.ts'

export interface StoredSecret {
  id: string
  value: string
}

export interface SecretStore {
  /** Every non-null value of a secret column, in batches. */
  scan(table: string, column: string): AsyncIterable<StoredSecret[]>
  /** Replaces a value only if it is still `previous` (another writer may have changed it). */
  replace(table: string, column: string, id: string, previous: string, next: string): Promise<boolean>
}

export interface ColumnReport {
  table: string
  column: string
  /** Already under the first key. */
  current: number
  rotated: number
  /** Changed by someone else between read and write; run again to pick them up. */
  skipped: number
  /** Opened by no configured key: left untouched. Only their row ids are reported. */
  unreadable: string[]
}

export async function rotateSecrets(
  store: SecretStore,
  keys: readonly string[],
  options: { dryRun?: boolean } = {},
): Promise<ColumnReport[]> {
  const fernet = createFernet(keys)
  const reports: ColumnReport[] = []
  for (const { table, column } of SECRET_COLUMNS) {
    const report: ColumnReport = { table, column, current: 0, rotated: 0, skipped: 0, unreadable: [] }
    for await (const batch of store.scan(table, column)) {
      for (const { id, value } of batch) {
        const index = await fernet.keyIndexOf(value)
        if (index === 0) report.current++
        else if (index < 0) report.unreadable.push(id)
        else if (options.dryRun) report.rotated++
        else {
          const reEncrypted = await fernet.encrypt(await fernet.decryptBytes(value))
          if (await store.replace(table, column, id, value, reEncrypted)) report.rotated++
          else report.skipped++
        }
      }
    }
    reports.push(report)
  }
  return reports
}
