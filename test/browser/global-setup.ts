// Browser tests run in Node: start the backing services (the same ones the Workers tests
// use) and `wrangler dev` on them with the same bindings, then hand the URL to the tests.
// Chromium must open http://localhost:<port> (not 127.0.0.1): only localhost is a secure
// context over plain http, where the `__Host-` Secure session cookie is accepted.
import { existsSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { freePort } from '../../scripts/local-db.ts'
import { spawnTestServices } from '../../scripts/spawn-services.ts'
import { type RunningWorker, startWranglerDev } from '../../scripts/wrangler-dev.ts'
import { TEST_SECRETS } from '../../vitest.config.ts'
import { CHROMIUM_PATH } from './chromium.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    browserBaseUrl: string
    browserSkipReason: string
  }
}

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM_PATH)) {
    if (process.env.CI === 'true')
      throw new Error(`CI=true but ${CHROMIUM_PATH} is missing: apt-get install -y chromium`)
    const reason = `browser tests skipped: ${CHROMIUM_PATH} not found (apt-get install -y chromium); under CI=true they fail instead`
    console.warn(reason)
    project.provide('browserBaseUrl', '')
    project.provide('browserSkipReason', reason)
    return
  }
  const { services, stop } = await spawnTestServices()
  const port = await freePort()
  const baseUrl = `http://localhost:${port}`
  let worker: RunningWorker
  try {
    worker = await startWranglerDev(
      {
        ...TEST_SECRETS,
        APP_ENV: 'test',
        LOG_LEVEL: 'warn',
        APP_ORIGIN: baseUrl,
        DATABASE_URL: services.databaseUrl,
        LOCAL_WS_PROXY: services.wsProxy,
        OPENAI_BASE_URL: services.embeddingsUrl,
        STRIPE_API_BASE: services.stripeApiBase,
        OAUTH_TEST_PROVIDER_URL: services.oauthProviderUrl,
      },
      'browser',
      port,
    )
  } catch (error) {
    await stop()
    throw error
  }
  project.provide('browserBaseUrl', baseUrl)
  project.provide('browserSkipReason', '')
  return async () => {
    await worker.stop()
    await stop()
  }
}
