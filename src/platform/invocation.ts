import { type AppConfig, parseEnv } from '../env'
import { createLogger, type Logger } from './logger'

export type Invocation = { ok: true; config: AppConfig; logger: Logger } | { ok: false; problems: string }

/**
 * What every entry point (fetch, queue, scheduled) starts with: the validated environment
 * and a logger carrying the invocation's fields. A bad environment is logged here once.
 */
export function beginInvocation(env: object, fields: Record<string, unknown>): Invocation {
  const parsed = parseEnv(env)
  if (!parsed.ok) {
    createLogger(fields).error('bad environment', { problems: parsed.message })
    return { ok: false, problems: parsed.message }
  }
  return { ok: true, config: parsed.config, logger: createLogger(fields, parsed.config.LOG_LEVEL) }
}
