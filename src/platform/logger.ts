export type Level = 'debug' | 'info' | 'warn' | 'error'
const RANK: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }
type Fields = Record<string, unknown>

const SECRET_KEY = /secret|token|password|passwd|authorization|cookie|signature|api[-_]?key|encryption|credential/i
const SECRET_VALUE_PATTERNS: RegExp[] = [
  /Bearer\s+[^\s,"]+/gi,
  /\befk_[A-Za-z0-9]+_[A-Za-z0-9_-]+/g,
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9_]+/g,
  /\bwhsec_[A-Za-z0-9_]+/g,
  /\bgAAAAA[A-Za-z0-9_=-]{20,}/g,
  /\bt=\d+,v1=[a-f0-9]+/g,
  /postgres(?:ql)?:\/\/[^@\s]+@/g,
]

export const REDACTED = '[redacted]'

export function redactString(value: string): string {
  let out = value
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, REDACTED)
  return out
}

/** Deep copy with secret-named keys blanked and secret-looking values masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]'
  if (typeof value === 'string') return redactString(value)
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      stack: value.stack && redactString(value.stack),
      ...(value.cause === undefined ? {} : { cause: redact(value.cause, depth + 1) }),
    }
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Fields = {}
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1)
    return out
  }
  return value
}

export interface Logger {
  debug(message: string, fields?: Fields): void
  info(message: string, fields?: Fields): void
  warn(message: string, fields?: Fields): void
  error(message: string, fields?: Fields): void
  child(fields: Fields): Logger
}

/** Structured JSON logs, one line each, with secrets redacted. */
export function createLogger(base: Fields = {}, minLevel: Level | 'silent' = 'info'): Logger {
  const write = (level: Level, message: string, fields?: Fields) => {
    if (RANK[level] < RANK[minLevel]) return
    const line = JSON.stringify(
      redact({ level, time: new Date().toISOString(), message, ...base, ...fields }) as Fields,
    )
    if (level === 'error') console.error(line)
    else if (level === 'warn') console.warn(line)
    else console.log(line)
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, minLevel),
  }
}
