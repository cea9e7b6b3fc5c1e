// The backing services for tests and benchmarks, in their own Node process: a fresh
// in-memory PGlite with migrations and the demo catalog, its WebSocket relay, and the
// local embedder. Prints one JSON line with their addresses, then runs until killed.
import { startFakeOAuthProvider } from './fakes/oauth-provider.ts'
import { startFakeStripe } from './fakes/stripe.ts'
import { startLocalDatabase } from './local-db.ts'
import { startLocalEmbeddings } from './local-embeddings.ts'
import { applyMigrations } from './migrations.ts'
import { seedFromFile } from './seed.ts'

export interface TestServices {
  databaseUrl: string
  wsProxy: string
  embeddingsUrl: string
  stripeApiBase: string
  oauthProviderUrl: string
}

const database = await startLocalDatabase()
await applyMigrations(database.databaseUrl)
await seedFromFile(database.databaseUrl)
const embeddings = await startLocalEmbeddings()
const stripe = await startFakeStripe()
const oauthProvider = await startFakeOAuthProvider()

const services: TestServices = {
  databaseUrl: database.databaseUrl,
  wsProxy: database.wsProxy,
  embeddingsUrl: embeddings.url,
  stripeApiBase: stripe.url,
  oauthProviderUrl: oauthProvider.url,
}
console.log(JSON.stringify({ ready: services }))

const stop = async () => {
  await Promise.all([embeddings.stop(), stripe.stop(), oauthProvider.stop()])
  await database.stop()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.on('disconnect', stop)
