import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDevVars } from '../../scripts/dev-vars.ts'
import { encryptionKeysFromEnv } from '../../scripts/seed.ts'

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dev-vars-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function parse(text: string) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.dev.vars`)
  await writeFile(path, text)
  return readDevVars(path)
}

describe('.dev.vars', () => {
  it('reads quoted values, comments and export lines as wrangler does', async () => {
    const vars = await parse(
      [
        '# a comment line',
        `ENCRYPTION_KEY="${KEY}"   # the first key encrypts`,
        "HUB_SERVICE_SECRET='local-dev-service-secret-change-me-0000'",
        'export APP_ENV=development',
        'STRIPE_SECRET_KEY=sk_test_local_placeholder # trailing comment',
        'EMAIL_FROM="Hub <hub@example.com>"',
        'EMPTY=',
        '',
      ].join('\n'),
    )
    expect(vars).toEqual({
      ENCRYPTION_KEY: KEY,
      HUB_SERVICE_SECRET: 'local-dev-service-secret-change-me-0000',
      APP_ENV: 'development',
      STRIPE_SECRET_KEY: 'sk_test_local_placeholder',
      EMAIL_FROM: 'Hub <hub@example.com>',
      EMPTY: '',
    })
  })

  it('a quoted ENCRYPTION_KEY reaches the seed as the bare key (it used to keep the quotes and crash npm run dev)', async () => {
    const vars = await parse(`ENCRYPTION_KEY="${KEY},${KEY}"\n`)
    expect(encryptionKeysFromEnv(vars)).toEqual([KEY, KEY])
  })

  it('reads the committed .dev.vars.example', async () => {
    const vars = await readDevVars(new URL('../../.dev.vars.example', import.meta.url).pathname)
    expect(vars.DATABASE_URL).toMatch(/^postgres:\/\//)
    expect(vars.ENCRYPTION_KEY).toBe(KEY)
    expect(vars.OPENAI_API_KEY).toBeUndefined()
  })
})
