import { handleQueue } from '../queues'
import { createApp } from './app'
import { handleScheduled } from './jobs/scheduled'
import type { Bindings } from './types'

const app = createApp()

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Bindings>
