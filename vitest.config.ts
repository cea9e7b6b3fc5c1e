import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export const TEST_SECRETS = {
  HUB_SERVICE_SECRET: 'test-service-secret-0123456789abcdef,test-rotated-secret-0123456789abcdef',
  ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
  STRIPE_SECRET_KEY: 'sk_test_fake',
  STRIPE_WEBHOOK_SECRET: 'whsec_test_fake',
  OPENAI_API_KEY: 'sk-test-fake',
}

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...TEST_SECRETS,
                APP_ENV: 'test',
                LOG_LEVEL: 'warn',
                APP_ORIGIN: 'http://localhost',
                DATABASE_URL: inject('databaseUrl'),
                LOCAL_WS_PROXY: inject('wsProxy'),
                OPENAI_BASE_URL: inject('embeddingsUrl'),
                STRIPE_API_BASE: inject('stripeApiBase'),
                OAUTH_TEST_PROVIDER_URL: inject('oauthProviderUrl'),
              },
              // Tests hand batches to the consumer themselves (test/support/knowledge.ts `deliver`). The
              // local queue's own delivery waits for 10 messages or 5 s, not one message as in
              // wrangler.toml, so a document a page test uploads is still `pending` when the test looks.
              queueConsumers: {
                'echoforge-documents': {
                  maxBatchSize: 10,
                  maxBatchTimeout: 5,
                  maxRetries: 5,
                  deadLetterQueue: 'echoforge-documents-dlq',
                },
                'echoforge-documents-dlq': { maxBatchSize: 10, maxRetries: 0 },
              },
            },
          })),
        ],
        // Test fixture files (PDF, DOCX, ...) import as data URLs with `?inline`.
        assetsInclude: ['**/test/fixtures/**'],
        test: {
          name: 'workers',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**', 'test/node/**'],
          globalSetup: ['./test/node/global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Node-side tooling: the embedded database's wire server, migrations and the catalog seed.
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // Starting PGlite with pgvector takes seconds on a busy machine.
          hookTimeout: 60_000,
        },
      },
      {
        // Chromium (playwright-core) against `wrangler dev`, in Node: see test/browser/global-setup.ts.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/browser/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
})
