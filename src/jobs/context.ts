import type { Database } from '../db/client'
import type { AppConfig } from '../env'
import type { NotificationSender } from '../notifications/sender'
import type { Logger } from '../platform/logger'

/** What a scheduled job gets: its own database handle, and the scheduled time as "now" so re-runs agree. */
export interface JobContext {
  db: Database
  config: AppConfig
  logger: Logger
  sender: NotificationSender
  /** Where documents to (re)process go. */
  documentQueue: Queue
  now: Date
}

/** Rows handled per run; the next run (15 minutes / an hour later) takes the rest. */
export const JOB_BATCH_SIZE = 200
