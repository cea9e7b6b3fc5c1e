import type { TestServices } from '../scripts/test-services.ts'

/** The Worker's bindings under `wrangler dev` for benchmarks, on the given backing services. */
export function benchWorkerVars(services: TestServices, serviceSecret: string): Record<string, string> {
  return {
    DATABASE_URL: services.databaseUrl,
    LOCAL_WS_PROXY: services.wsProxy,
    OPENAI_BASE_URL: services.embeddingsUrl,
    OPENAI_API_KEY: 'local-embedder',
    STRIPE_API_BASE: services.stripeApiBase,
    HUB_SERVICE_SECRET: serviceSecret,
    ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    APP_ENV: 'production',
    LOG_LEVEL: 'error',
    APP_ORIGIN: 'http://127.0.0.1',
  }
}
