import { envSchema } from '../src/env'

/**
 * What extraction needs and nothing more: the database, the embeddings service, logging. The
 * service secret, the encryption keys and Stripe's keys stay out of the Worker that parses hostile files.
 */
export const extractionEnvSchema = envSchema.pick({
  APP_ENV: true,
  LOG_LEVEL: true,
  DATABASE_URL: true,
  LOCAL_WS_PROXY: true,
  DATABASE_QUERY_TIMEOUT_MS: true,
  OPENAI_API_KEY: true,
  OPENAI_BASE_URL: true,
  OPENAI_EMBEDDING_MODEL: true,
})
/** The variables and secrets the extraction Worker reads (dev and bench hand it exactly these). */
export const EXTRACTION_ENV_KEYS = extractionEnvSchema.keyof().options
