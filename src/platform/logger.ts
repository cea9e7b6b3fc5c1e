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

/** Parameters of a statement, wherever an object carries them. */
const PARAMETER_KEY = /^(?:params|parameters)$/
export const REDACTED = '[redacted]'

export function redactString(value: string): string {
  let out = value
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, REDACTED)
  return out
}

/** The frames of a stack without its first lines, which repeat the message (and so whatever it carried). */
function framesOf(stack: string | undefined): string[] {
  return (stack ?? '').split('\n').filter((line) => /^\s+at /.test(line))
}

// Postgres quotes the offending value in messages like `invalid input syntax for type uuid: "alice@example.com"`.
const QUOTED_VALUE = /"(?:[^"\\]|\\.)*"/g
/** What a database error may say in a log: its kind and where, never the values (`detail` repeats them). */
const DATABASE_ERROR_FIELDS = ['code', 'severity', 'constraint', 'table', 'column', 'dataType', 'routine'] as const

type ErrorLike = Error & Record<string, unknown>

/** A database server's error: a SQLSTATE `code` and a `severity` (pg, Neon and PGlite errors alike). */
const isDatabaseError = (error: ErrorLike) => typeof error.severity === 'string' && typeof error.code === 'string'
/** A failed statement wrapped with its SQL and parameters (drizzle's DrizzleQueryError and the like). */
const isQueryError = (error: ErrorLike) => 'params' in error || 'parameters' in error

/**
 * An error as a log may show it. Failed SQL statements are described by structure: the SQL text
 * (placeholders only), the SQLSTATE and the constraint; the parameters are dropped, and so are the
 * message lines of the stack, which repeat them.
 */
function describeError(error: ErrorLike, depth: number): Fields {
  let message = error.message
  const extra: Fields = {}
  if (isQueryError(error)) {
    message = typeof error.query === 'string' ? `Failed query: ${redactString(error.query)}` : 'Failed query'
  } else if (isDatabaseError(error)) {
    message = error.message.replace(QUOTED_VALUE, `"${REDACTED}"`)
    for (const key of DATABASE_ERROR_FIELDS) if (typeof error[key] === 'string') extra[key] = error[key]
  } else {
    message = redactString(message)
  }
  const frames = framesOf(error.stack)
  return {
    name: error.name,
    message,
    ...extra,
    ...(frames.length > 0 ? { stack: [`${error.name}: ${message}`, ...frames.map(redactString)].join('\n') } : {}),
    ...(error.cause === undefined ? {} : { cause: redact(error.cause, depth + 1) }),
  }
}

/** Deep copy with secret-named keys blanked, secret-looking values masked and SQL parameters dropped. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]'
  if (typeof value === 'string') return redactString(value)
  if (value instanceof Error) return describeError(value as ErrorLike, depth)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Fields = {}
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY.test(k) || PARAMETER_KEY.test(k) ? REDACTED : redact(v, depth + 1)
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
