// `npm run dev`: the embedded database, its WebSocket relay, migrations and the demo
// catalog, the local embedder, and `wrangler dev` running both Workers (the app and the
// extraction Worker that consumes the documents queue), in one process tree that Ctrl-C stops.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir } from 'node:fs/promises'
import { readDevVars } from './dev-vars.ts'
import { DEMO_OAUTH_CLIENT, startFakeOAuthProvider } from './fakes/oauth-provider.ts'
import { startFakeStripe } from './fakes/stripe.ts'
import { startLocalDatabase } from './local-db.ts'
import { startLocalEmbeddings } from './local-embeddings.ts'
import { applyMigrations } from './migrations.ts'
import { encryptionKeysFromEnv, seedFromFile } from './seed.ts'
import { wranglerDevArgs, writeExtractionDevConfig } from './wrangler-dev.ts'

const root = new URL('..', import.meta.url).pathname
const HOST = '127.0.0.1'
const PORTS = { worker: 8787, postgres: 5435, relay: 5436, embeddings: 8790, oauth: 8791, stripe: 12111 }
const started = Date.now()

if (!existsSync(`${root}.dev.vars`)) {
  await copyFile(`${root}.dev.vars.example`, `${root}.dev.vars`)
  console.log('Created .dev.vars from .dev.vars.example')
}
const devVars: Record<string, string | undefined> = { ...(await readDevVars(`${root}.dev.vars`)), ...process.env }
const hasOpenAiKey = Boolean(devVars.OPENAI_API_KEY)
// Stripe cannot be reached offline: with the example's placeholder key, a local stand-in answers.
const useStripeStandIn = devVars.STRIPE_SECRET_KEY === 'sk_test_local_placeholder' && !devVars.STRIPE_API_BASE

await mkdir(`${root}.data`, { recursive: true })
const database = await startLocalDatabase({
  dataDir: `${root}.data/pg`,
  host: HOST,
  pgPort: PORTS.postgres,
  wsPort: PORTS.relay,
  // The database this many ms of round trip away, as from a far edge location (scripts/local-db.ts).
  relayLatencyMs: Number(process.env.DEV_DB_LATENCY_MS || 0),
})
const migrations = await applyMigrations(database.databaseUrl)
const seeded = await seedFromFile(database.databaseUrl, undefined, {
  encryptionKeys: encryptionKeysFromEnv(devVars),
})
const embeddings = hasOpenAiKey ? undefined : await startLocalEmbeddings({ host: HOST, port: PORTS.embeddings })
const stripe = useStripeStandIn ? await startFakeStripe(PORTS.stripe) : undefined
const oauthProvider = await startFakeOAuthProvider(PORTS.oauth, [DEMO_OAUTH_CLIENT])

const vars: Record<string, string> = {
  DATABASE_URL: database.databaseUrl,
  LOCAL_WS_PROXY: database.wsProxy,
  APP_ENV: 'development',
  ...(embeddings ? { OPENAI_BASE_URL: embeddings.url, OPENAI_API_KEY: 'local-embedder' } : {}),
  ...(stripe ? { STRIPE_API_BASE: stripe.url } : {}),
}
// The main Worker reads .dev.vars itself; the extraction Worker gets its share of it in its config.
const extractionConfig = await writeExtractionDevConfig(`${root}.wrangler/dev`, { ...devVars, ...vars })
const wrangler = spawn(
  `${root}node_modules/.bin/wrangler`,
  wranglerDevArgs({ host: HOST, port: PORTS.worker, extractionConfig, vars, extra: ['--test-scheduled'] }),
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
)

let stopping = false
async function stop(code = 0) {
  if (stopping) return
  stopping = true
  console.log('\nStopping EchoForge Hub...')
  wrangler.kill('SIGINT')
  await Promise.all([embeddings?.stop(), stripe?.stop(), oauthProvider.stop()])
  await database.stop()
  process.exit(code)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
wrangler.on('exit', (code) => void stop(code ?? 0))

const workerUrl = `http://${HOST}:${PORTS.worker}`
for (let attempt = 0; attempt < 240 && !stopping; attempt++) {
  try {
    const res = await fetch(`${workerUrl}/health`)
    if (res.ok) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      console.log(`
EchoForge Hub is running (ready in ${seconds}s)
  app + API        ${workerUrl}   (health: ${workerUrl}/health)
  extraction       the echoforge-extraction Worker consumes the documents queue (same wrangler dev)
  cron triggers    ${workerUrl}/__scheduled?cron=*/15+*+*+*+*  (grace expiry), ?cron=0+*+*+*+* (trial expiry)
  postgres         ${database.databaseUrl}   (PGlite + pgvector, data in .data/pg)
  neon ws relay    ws://${database.wsProxy}${process.env.DEV_DB_LATENCY_MS ? ` (+${process.env.DEV_DB_LATENCY_MS} ms per round trip)` : ''}
  embeddings       ${embeddings ? `${embeddings.url} (local deterministic embedder, offline)` : 'OpenAI (OPENAI_API_KEY is set)'}
  stripe           ${stripe ? `${stripe.url} (local stand-in for the Stripe API)` : 'the Stripe API configured in .dev.vars'}
  oauth provider   ${oauthProvider.url} (stand-in for the demo catalog's "Demo Docs" integration)
  database         ${migrations} migrations applied; catalog: ${seeded.plans} plans, ${seeded.agent_types} agent types
Press Ctrl-C to stop everything.`)
      break
    }
  } catch {}
  await new Promise((r) => setTimeout(r, 500))
}
