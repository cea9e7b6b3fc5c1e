import { handleQueue } from '../queues'
import { createApp } from './app'

export { CustomerState } from './edge/customer-state'

import { handleScheduled } from './jobs/scheduled'
import type { Bindings } from './types'

const app = createApp()

/** Requests, usage-queue messages and crons. Documents are read by the extraction Worker (queues/extraction-worker.ts). */
export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Bindings>
