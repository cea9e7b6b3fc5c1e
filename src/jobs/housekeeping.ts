import { deleteStaleAttemptCounters } from '../customers/attempt-limits'
import { deleteOldLoginAttempts } from '../customers/login'
import { deleteExpiredSessions } from '../customers/sessions'
import type { JobContext } from './context'

/** Drops sessions past their idle or absolute timeout, old login attempts and stale attempt counters. */
export async function runHousekeeping({ db, logger, now }: JobContext) {
  await deleteExpiredSessions(db, now)
  await deleteOldLoginAttempts(db, now)
  await deleteStaleAttemptCounters(db, now)
  logger.info('housekeeping done')
}
