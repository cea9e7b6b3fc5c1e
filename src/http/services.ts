import { createDb, type DbHandle } from '../db/client'
import type { AppConfig } from '../env'
import type { Logger } from '../platform/logger'

/** Per-invocation services built from the validated env; the database opens on first use. */
export interface Services {
  config: AppConfig
  logger: Logger
  readonly database: DbHandle
  /** SQL statements sent so far in this invocation. */
  statementCount(): number
  /** Ends the pool; Workers must not carry it into another invocation. */
  dispose(): Promise<void>
}

export function createServices(config: AppConfig, logger: Logger): Services {
  let handle: DbHandle | undefined
  return {
    config,
    logger,
    get database() {
      handle ??= createDb(config, logger)
      return handle
    },
    statementCount: () => handle?.stats.statements ?? 0,
    dispose: async () => {
      await handle?.close()
    },
  }
}
