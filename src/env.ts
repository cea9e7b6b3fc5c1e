import { z } from 'zod'
import { commaSeparated } from './platform/comma-separated'
import { isFernetKey } from './platform/fernet'

const secretList = (what: string, entry: z.ZodType<string, string>) =>
  z
    .string({ error: `${what} is not set` })
    .transform(commaSeparated)
    .pipe(z.array(entry).min(1, `${what} is empty`))

export const envSchema = z.object({
  APP_ENV: z.enum(['development', 'test', 'production']).default('production'),
  APP_ORIGIN: z.url().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  DATABASE_URL: z
    .string({ error: 'DATABASE_URL is not set' })
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
  LOCAL_WS_PROXY: z.string().min(1).optional(),
  /** Overrides QUERY_TIMEOUT_MS (both kinds of work); the outage tests set a short one. */
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  /** Overrides STATEMENT_TIMEOUT_MS (both kinds of work); the timeout tests set a short one. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  /**
   * The hot path at the edge (src/edge/): `off` sends validate-key, config and can-respond to Postgres
   * as before, a switch for an incident. The timings are src/edge/freshness.ts's; tests shorten them.
   */
  EDGE_STATE: z.enum(['on', 'off']).default('on'),
  EDGE_ISOLATE_TTL_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  EDGE_VERIFY_AFTER_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  EDGE_VERIFY_SYNC_AFTER_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  EDGE_MAX_STALE_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
  HUB_SERVICE_SECRET: secretList(
    'HUB_SERVICE_SECRET',
    z.string().min(32, 'each HUB_SERVICE_SECRET entry must be at least 32 characters'),
  ),
  ENCRYPTION_KEY: secretList(
    'ENCRYPTION_KEY',
    z.string().refine(isFernetKey, 'each ENCRYPTION_KEY entry must be a Fernet key (urlsafe base64 of 32 bytes)'),
  ),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  /** Several while one is being rotated. */
  STRIPE_WEBHOOK_SECRET: secretList('STRIPE_WEBHOOK_SECRET', z.string()).optional(),
  STRIPE_API_BASE: z.url().optional(),
  /** Transactional email over HTTP (Resend-compatible `POST {from,to,subject,text}`); the outbox alone without it. */
  EMAIL_API_URL: z.url().optional(),
  EMAIL_API_KEY: z.string().min(1).optional(),
  EMAIL_FROM: z.string().min(3).optional(),
})

export type AppConfig = z.infer<typeof envSchema>

const cache = new WeakMap<object, { ok: true; config: AppConfig } | { ok: false; message: string }>()

/** Parses the Worker environment once per isolate and env object. */
export function parseEnv(env: object): { ok: true; config: AppConfig } | { ok: false; message: string } {
  const cached = cache.get(env)
  if (cached) return cached
  const parsed = envSchema.safeParse(env)
  const result = parsed.success
    ? ({ ok: true, config: parsed.data } as const)
    : ({
        ok: false,
        message: parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; '),
      } as const)
  cache.set(env, result)
  return result
}
