import { env as workerEnv } from 'cloudflare:workers'
import { parseEnv } from '../../src/env'
import type { Bindings } from '../../src/types'

export const env = workerEnv as unknown as Bindings

export function testConfig() {
  const parsed = parseEnv(env)
  if (!parsed.ok) throw new Error(`test environment is invalid: ${parsed.message}`)
  return parsed.config
}

export const SERVICE_SECRET = 'test-service-secret-0123456789abcdef'
export const ROTATED_SERVICE_SECRET = 'test-rotated-secret-0123456789abcdef'
