// Browser tests run in Node: start the backing services (the same ones the Workers tests
// use) and `wrangler dev` on them with the same bindings, then hand the URL to the tests.
// Chromium must open http://localhost:<port> (not 127.0.0.1): only localhost is a secure
// context over plain http, where the `__Host-` Secure session cookie is accepted.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { TestProject } from 'vitest/node'
import { freePort } from '../../scripts/local-db.ts'
import { spawnTestServices } from '../../scripts/spawn-services.ts'
import { TEST_SECRETS } from '../../vitest.config.ts'
import { CHROMIUM_PATH } from './chromium.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    browserBaseUrl: string
    browserSkipReason: string
  }
}

const root = new URL('../..', import.meta.url).pathname

async function startWorker(vars: Record<string, string>, port: number): Promise<ChildProcess> {
  const state = `${root}.wrangler/browser-state-${process.pid}`
  const child = spawn(
    `${root}node_modules/.bin/wrangler`,
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--show-interactive-dev-session=false',
      '--persist-to',
      state,
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  child.once('exit', () => void rm(state, { recursive: true, force: true }))
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) break
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child
    } catch {}
    await new Promise((r) => setTimeout(r, 500))
  }
  child.kill('SIGTERM')
  throw new Error('wrangler dev did not become healthy for the browser tests')
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
  let worker: ChildProcess | undefined
  try {
    worker = await startWorker(
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
      port,
    )
  } catch (error) {
    await stop()
    throw error
  }
  project.provide('browserBaseUrl', baseUrl)
  project.provide('browserSkipReason', '')
  return async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve))
      worker.kill('SIGTERM')
      await exited
    }
    await stop()
  }
}
