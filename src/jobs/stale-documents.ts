import { sweepStaleDocuments } from '../knowledge/stale-documents'
import { JOB_BATCH_SIZE, type JobContext } from './context'

/** Documents whose consumer died mid-processing: retried, or `error` after the retry budget. */
export async function runStaleDocumentSweep({ db, documentQueues, logger, now }: JobContext) {
  const result = await sweepStaleDocuments({ db, queues: documentQueues, logger, now, limit: JOB_BATCH_SIZE })
  logger.info('stale document sweep', result)
  return result
}
