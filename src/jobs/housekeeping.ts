import { deleteOldLoginAttempts } from '../customers/login'
import { deleteExpiredSessions } from '../customers/sessions'
import type { JobContext } from './context'

/** Drops sessions past their idle or absolute timeout and login attempts older than a day. */
export async function runHousekeeping({ db, logger, now }: JobContext) {
  await deleteExpiredSessions(db, now)
  await deleteOldLoginAttempts(db, now)
  logger.info('housekeeping done')
}
