// The backing services for tests and benchmarks, in their own Node process: a fresh database
// with migrations and the demo catalog, its WebSocket relay, the local embedder and the
// stand-ins. Prints one JSON line with their addresses, then runs until killed.
//
// The database is an in-memory PGlite by default; TEST_DATABASE=postgres starts a throwaway
// PostgreSQL 15 cluster instead (scripts/local-postgres.ts), removed again on exit.
// TEST_SERVICES_DB_LATENCY_MS (set by spawnTestServices' `dbLatencyMs`) puts the database that many
// milliseconds of round trip away from the Worker, at its relay (scripts/local-db.ts); default 0.
import { createServer } from 'node:http'
import { startFakeOAuthProvider } from './fakes/oauth-provider.ts'
import { startFakeStripe } from './fakes/stripe.ts'
import { type LocalDatabase, startLocalDatabase, startWebSocketRelay } from './local-db.ts'
import { startLocalEmbeddings } from './local-embeddings.ts'
import { startLocalPostgres } from './local-postgres.ts'
import { applyMigrations } from './migrations.ts'
import { seedFromFile } from './seed.ts'

export type DatabaseKind = LocalDatabase['kind']

export interface TestServices {
  databaseKind: DatabaseKind
  databaseUrl: string
  wsProxy: string
  /**
   * A second relay to the same database, for outage tests: POST `<databaseControlUrl>/outage`
   * cuts every connection through it and refuses new ones until POST `/recovery`; POST `/stall`
   * leaves connections open but silences each at its next query (a database that stops answering).
   * The rest of the suite keeps using `wsProxy` meanwhile, so test files running alongside are not hit.
   */
  outageWsProxy: string
  databaseControlUrl: string
  embeddingsUrl: string
  stripeApiBase: string
  oauthProviderUrl: string
}

export function testDatabaseKind(value = process.env.TEST_DATABASE): DatabaseKind {
  if (!value || value === 'pglite') return 'pglite'
  if (value === 'postgres') return 'postgres'
  throw new Error(`TEST_DATABASE must be "pglite" (the default) or "postgres", not "${value}"`)
}

const relayLatencyMs = Number(process.env.TEST_SERVICES_DB_LATENCY_MS ?? 0)
const database =
  testDatabaseKind() === 'postgres'
    ? await startLocalPostgres(undefined, { relayLatencyMs })
    : await startLocalDatabase({ relayLatencyMs })
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await Promise.all([embeddings?.stop(), stripe?.stop(), oauthProvider?.stop(), outageRelay?.stop(), control?.close()])
  await database.stop()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.on('disconnect', stop)

let embeddings: Awaited<ReturnType<typeof startLocalEmbeddings>> | undefined
let stripe: Awaited<ReturnType<typeof startFakeStripe>> | undefined
let oauthProvider: Awaited<ReturnType<typeof startFakeOAuthProvider>> | undefined
let control: ReturnType<typeof createServer> | undefined
let outageRelay: Awaited<ReturnType<typeof startWebSocketRelay>> | undefined
try {
  outageRelay = await startWebSocketRelay('127.0.0.1', 0)
  await applyMigrations(database.databaseUrl)
  await seedFromFile(database.databaseUrl)
  embeddings = await startLocalEmbeddings()
  stripe = await startFakeStripe()
  oauthProvider = await startFakeOAuthProvider()
} catch (error) {
  console.error(error)
  await database.stop()
  process.exit(1)
}

control = createServer((req, res) => {
  const actions: Record<string, () => void> = {
    '/outage': () => outageRelay!.refuseConnections(true),
    '/stall': () => outageRelay!.stallQueries(true),
    '/recovery': () => outageRelay!.refuseConnections(false),
  }
  const action = req.method === 'POST' ? actions[req.url ?? ''] : undefined
  if (!action) return void res.writeHead(404).end()
  action()
  res.writeHead(204).end()
})
await new Promise<void>((resolve) => control!.listen(0, '127.0.0.1', resolve))
const controlAddress = control.address()
const controlPort = typeof controlAddress === 'object' && controlAddress ? controlAddress.port : 0

const services: TestServices = {
  databaseKind: database.kind,
  databaseUrl: database.databaseUrl,
  wsProxy: database.wsProxy,
  outageWsProxy: `127.0.0.1:${outageRelay.port}`,
  databaseControlUrl: `http://127.0.0.1:${controlPort}`,
  embeddingsUrl: embeddings.url,
  stripeApiBase: stripe.url,
  oauthProviderUrl: oauthProvider.url,
}
if (database.kind === 'postgres')
  console.error(`test services: a throwaway PostgreSQL 15 cluster at ${database.databaseUrl}`)
console.log(JSON.stringify({ ready: services }))
