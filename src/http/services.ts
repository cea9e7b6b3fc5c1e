import { createDb, type DbHandle, dbSettingsOf } from '../db/client'
import { type EdgePublisher, edgePublisher } from '../edge/publish'
import type { AppConfig } from '../env'
import type { Logger } from '../platform/logger'
import type { Bindings } from '../types'

/** Per-invocation services built from the validated env; the database opens on first use. */
export interface Services {
  config: AppConfig
  logger: Logger
  readonly database: DbHandle
  /** Customers this invocation changed, told to their state objects once the work is done (`flush`). */
  edge: EdgePublisher
  /** SQL statements sent so far in this invocation, those a Durable Object ran for it included. */
  statementCount(): number
  /** Statements run elsewhere on this invocation's behalf (a customer's state object reloading). */
  countStatements(n: number): void
  /** Ends the pool; Workers must not carry it into another invocation. */
  dispose(): Promise<void>
}

export function createServices(config: AppConfig, logger: Logger, env?: Pick<Bindings, 'CUSTOMER_STATE'>): Services {
  let handle: DbHandle | undefined
  let elsewhere = 0
  return {
    config,
    logger,
    edge: edgePublisher(env, dbSettingsOf(config), logger),
    get database() {
      handle ??= createDb(config, logger)
      return handle
    },
    statementCount: () => (handle?.stats.statements ?? 0) + elsewhere,
    countStatements: (n) => {
      elsewhere += n
    },
    dispose: async () => {
      await handle?.close()
    },
  }
}
