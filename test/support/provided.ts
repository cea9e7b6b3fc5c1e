// What test/node/global-setup.ts hands the Workers tests besides the bindings (see vitest.config.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    databaseKind: 'pglite' | 'postgres'
    databaseControlUrl: string
    outageWsProxy: string
  }
}

export {}
