import type { DbSettings } from '../db/client'
import type { Logger } from '../platform/logger'
import { withTimeout } from '../platform/timeout'
import type { Bindings } from '../types'
import { forgetCustomer } from './hot-path'
import type { UsageTotals } from './types'

/** Longer than one reload in the object (one statement); a writer's answer waits at most this. */
const PUBLISH_TIMEOUT_MS = 3_000

/**
 * What an invocation changed, told to the customers' Durable Objects once its transactions have
 * committed (`flush`): a changed customer's object reloads before the writer answers, and this
 * isolate forgets its answers for that customer. Usage ingest sends its totals instead, which need
 * no reload. A notification that fails is logged and left to the version check (README "The hot path
 * at the edge": the object compares its version with Postgres every few seconds while it has traffic).
 */
export interface EdgePublisher {
  changed(customerId: string): void
  usage(customerId: string, totals: UsageTotals): void
  flush(): Promise<void>
}

export function edgePublisher(
  env: Pick<Bindings, 'CUSTOMER_STATE'> | undefined,
  database: DbSettings,
  logger: Logger,
): EdgePublisher {
  const changed = new Set<string>()
  const usage = new Map<string, UsageTotals>()
  return {
    changed: (customerId) => {
      changed.add(customerId)
    },
    usage: (customerId, totals) => {
      const known = usage.get(customerId)
      if (!known || known.periodStart !== totals.periodStart || known.messages <= totals.messages) {
        usage.set(customerId, totals)
      }
    },
    flush: async () => {
      const refreshes = [...changed]
      const totals = [...usage].filter(([customerId]) => !changed.has(customerId))
      changed.clear()
      usage.clear()
      for (const customerId of refreshes) forgetCustomer(customerId)
      for (const [customerId] of totals) forgetCustomer(customerId)
      const namespace = env?.CUSTOMER_STATE
      if (!namespace) return
      const tell = async (customerId: string, what: string, send: () => Promise<unknown>) => {
        try {
          await withTimeout(send(), PUBLISH_TIMEOUT_MS, "the customer's state object")
        } catch (error) {
          logger.warn('customer state not told of a change; its version check will find it', {
            customer_id: customerId,
            change: what,
            error,
          })
        }
      }
      await Promise.all([
        ...refreshes.map((customerId) =>
          tell(customerId, 'refresh', () => namespace.getByName(customerId).refresh({ customerId, database })),
        ),
        ...totals.map(([customerId, t]) =>
          tell(customerId, 'usage', () => namespace.getByName(customerId).applyUsage({ customerId, totals: t })),
        ),
      ])
    },
  }
}
