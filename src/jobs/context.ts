import type { Database } from '../db/client'
import type { EdgePublisher } from '../edge/publish'
import type { AppConfig } from '../env'
import type { DocumentQueues } from '../knowledge/document-lanes'
import type { NotificationSender } from '../notifications/sender'
import type { Logger } from '../platform/logger'

/** What a scheduled job gets: its own database handle, and the scheduled time as "now" so re-runs agree. */
export interface JobContext {
  db: Database
  config: AppConfig
  logger: Logger
  sender: NotificationSender
  /** Where documents to (re)process go, one queue per lane (src/knowledge/document-lanes.ts). */
  documentQueues: DocumentQueues
  /** Customers a job changed, told to their hot-path state objects when the run ends. */
  edge: EdgePublisher
  now: Date
}

/** Rows handled per run; the next run (15 minutes / an hour later) takes the rest. */
export const JOB_BATCH_SIZE = 200
