// Runs in Node before the Workers tests: starts the backing services (fresh in-memory
// PGlite + pgvector with migrations, its WebSocket relay, the local embedder) in a child
// process and hands their addresses to the Workers pool.
import type { TestProject } from 'vitest/node'
import { spawnTestServices } from '../../scripts/spawn-services.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    wsProxy: string
    embeddingsUrl: string
    stripeApiBase: string
    oauthProviderUrl: string
  }
}

export default async function setup(project: TestProject) {
  const { services, stop } = await spawnTestServices()
  project.provide('databaseUrl', services.databaseUrl)
  project.provide('wsProxy', services.wsProxy)
  project.provide('embeddingsUrl', services.embeddingsUrl)
  project.provide('stripeApiBase', services.stripeApiBase)
  project.provide('oauthProviderUrl', services.oauthProviderUrl)
  return stop
}
