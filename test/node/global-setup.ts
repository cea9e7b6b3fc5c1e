// Runs in Node before the Workers tests: starts the backing services (a fresh database with
// migrations: in-memory PGlite + pgvector, or with TEST_DATABASE=postgres a throwaway
// PostgreSQL 15 cluster; its WebSocket relay, the local embedder, the stand-ins) in a child
// process and hands their addresses to the Workers pool.
import type { TestProject } from 'vitest/node'
import { spawnTestServices } from '../../scripts/spawn-services.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseKind: 'pglite' | 'postgres'
    databaseControlUrl: string
    outageWsProxy: string
    databaseUrl: string
    wsProxy: string
    embeddingsUrl: string
    stripeApiBase: string
    oauthProviderUrl: string
  }
}

export default async function setup(project: TestProject) {
  const { services, stop } = await spawnTestServices()
  project.provide('databaseKind', services.databaseKind)
  project.provide('databaseControlUrl', services.databaseControlUrl)
  project.provide('outageWsProxy', services.outageWsProxy)
  project.provide('databaseUrl', services.databaseUrl)
  project.provide('wsProxy', services.wsProxy)
  project.provide('embeddingsUrl', services.embeddingsUrl)
  project.provide('stripeApiBase', services.stripeApiBase)
  project.provide('oauthProviderUrl', services.oauthProviderUrl)
  return stop
}
