import type { Bindings } from '../types'

export const GRACE_EXPIRY_CRON = '*/15 * * * *'
export const TRIAL_EXPIRY_CRON = '0 * * * *'

/** Entry for Cron Triggers; dispatches by cron expression. */
export async function handleScheduled(_controller: ScheduledController, _env: Bindings, _ctx: ExecutionContext) {
  // Filled in by billing (grace-period and trial expiry).
}
