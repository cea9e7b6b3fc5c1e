import { describe, expect, it } from 'vitest'
import { envSchema } from '../src/env'
import { commaSeparated } from '../src/platform/comma-separated'
import { SERVICE_SECRET, testConfig } from './support/env'

describe('env: comma-separated secret lists', () => {
  it('trims entries and drops empty ones', () => {
    expect(commaSeparated(' a, b ,,c ,')).toEqual(['a', 'b', 'c'])
    expect(commaSeparated(' , ')).toEqual([])
  })

  const base = () => {
    const { ENCRYPTION_KEY } = testConfig()
    return {
      DATABASE_URL: 'postgres://localhost/x',
      HUB_SERVICE_SECRET: SERVICE_SECRET,
      ENCRYPTION_KEY: ENCRYPTION_KEY.join(','),
    }
  }

  it('HUB_SERVICE_SECRET, ENCRYPTION_KEY and STRIPE_WEBHOOK_SECRET each take a rotation list', () => {
    const [key] = testConfig().ENCRYPTION_KEY
    const parsed = envSchema.parse({
      ...base(),
      HUB_SERVICE_SECRET: `${SERVICE_SECRET}, ${'n'.repeat(32)}`,
      ENCRYPTION_KEY: ` ${key},`,
      STRIPE_WEBHOOK_SECRET: 'whsec_new,whsec_old',
    })
    expect(parsed.HUB_SERVICE_SECRET).toEqual([SERVICE_SECRET, 'n'.repeat(32)])
    expect(parsed.ENCRYPTION_KEY).toEqual([key])
    expect(parsed.STRIPE_WEBHOOK_SECRET).toEqual(['whsec_new', 'whsec_old'])
    expect(envSchema.parse(base()).STRIPE_WEBHOOK_SECRET).toBeUndefined()
  })

  it('an empty list or a short service secret is refused, naming the variable', () => {
    const messages = (env: object) => envSchema.safeParse(env).error?.issues.map((i) => i.message) ?? []
    expect(messages({ ...base(), STRIPE_WEBHOOK_SECRET: ' , ' })).toEqual(['STRIPE_WEBHOOK_SECRET is empty'])
    expect(messages({ ...base(), HUB_SERVICE_SECRET: `${SERVICE_SECRET},short` })).toEqual([
      'each HUB_SERVICE_SECRET entry must be at least 32 characters',
    ])
    expect(messages({ ...base(), HUB_SERVICE_SECRET: undefined })).toEqual(['HUB_SERVICE_SECRET is not set'])
  })
})
