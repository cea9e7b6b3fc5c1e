import { readFile } from 'node:fs/promises'
import { parseEnv } from 'node:util'

/**
 * `.dev.vars` read the way wrangler reads it (dotenv syntax): quoted values, `#` comments,
 * `export NAME=...`, multi-line double-quoted values. A regular expression per line got these wrong.
 */
export async function readDevVars(path: string): Promise<Record<string, string>> {
  return parseEnv(await readFile(path, 'utf8')) as Record<string, string>
}
