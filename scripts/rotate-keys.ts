// Re-encrypts every stored secret (SECRET_COLUMNS) with the first key of ENCRYPTION_KEY.
// Rotation: put the new key first, keep the old ones after it, deploy, run this, then drop
// the old keys. Values under the first key already are left alone; values no key opens are
// reported by row id (never by value) and left untouched.
// Usage: DATABASE_URL=... ENCRYPTION_KEY=new,old npm run keys:rotate [-- --dry-run]
import type { Sql } from 'postgres'
import { rotateSecrets, type SecretStore } from '../src/integrations/rotate-keys.ts'
import { commaSeparated } from '../src/platform/comma-separated.ts'
import { isFernetKey } from '../src/platform/fernet.ts'
import { connect } from './migrations.ts'

const BATCH = 500

export function postgresSecretStore(sql: Sql): SecretStore {
  return {
    async *scan(table, column) {
      const query = sql<{ id: string; value: string }[]>`
        SELECT id::text AS id, ${sql(column)} AS value FROM ${sql(table)} WHERE ${sql(column)} IS NOT NULL`
      for await (const rows of query.cursor(BATCH)) yield rows
    },
    async replace(table, column, id, previous, next) {
      const result = await sql`
        UPDATE ${sql(table)} SET ${sql(column)} = ${next} WHERE id::text = ${id} AND ${sql(column)} = ${previous}`
      return result.count === 1
    },
  }
}

export function parseKeys(raw: string | undefined): string[] {
  const keys = commaSeparated(raw ?? '')
  if (keys.length === 0 || !keys.every(isFernetKey)) {
    throw new Error('ENCRYPTION_KEY must hold one or more comma-separated Fernet keys (new key first)')
  }
  return keys
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL
  if (!url) {
    console.error('Set DATABASE_URL. Usage: DATABASE_URL=... ENCRYPTION_KEY=new,old npm run keys:rotate [-- --dry-run]')
    process.exit(1)
  }
  let keys: string[]
  try {
    keys = parseKeys(process.env.ENCRYPTION_KEY)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
  const dryRun = process.argv.includes('--dry-run')
  const sql = connect(url)
  try {
    const reports = await rotateSecrets(postgresSecretStore(sql), keys, { dryRun })
    let unreadable = 0
    for (const r of reports) {
      unreadable += r.unreadable.length
      console.log(
        `${r.table}.${r.column}: ${r.rotated} ${dryRun ? 'to re-encrypt' : 're-encrypted'}, ${r.current} already current` +
          (r.skipped ? `, ${r.skipped} changed meanwhile (run again)` : '') +
          (r.unreadable.length ? `, ${r.unreadable.length} UNREADABLE (ids: ${r.unreadable.join(', ')})` : ''),
      )
    }
    if (unreadable > 0) {
      console.error(`${unreadable} stored secrets open with none of the configured keys; they were left as they are.`)
      process.exitCode = 1
    }
  } finally {
    await sql.end()
  }
}
