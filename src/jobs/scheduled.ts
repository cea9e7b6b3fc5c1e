import { createDb, dbSettingsOf } from '../db/client'
import { edgePublisher } from '../edge/publish'
import { documentQueues } from '../knowledge/document-lanes'
import { createSender } from '../notifications/senders'
import { beginInvocation } from '../platform/invocation'
import type { Bindings } from '../types'
import type { JobContext } from './context'
import { runGraceExpiry } from './grace-expiry'
import { runHousekeeping } from './housekeeping'
import { runStaleDocumentSweep } from './stale-documents'
import { runTrialExpiry } from './trial-expiry'

export const GRACE_EXPIRY_CRON = '*/15 * * * *'
export const TRIAL_EXPIRY_CRON = '0 * * * *'

type Job = (context: JobContext) => Promise<unknown>

const jobs: Record<string, Job[]> = {
  [GRACE_EXPIRY_CRON]: [runGraceExpiry, runStaleDocumentSweep],
  [TRIAL_EXPIRY_CRON]: [runTrialExpiry, runHousekeeping],
}

/** Entry for Cron Triggers: runs the job of the cron expression with its own database handle. */
export async function handleScheduled(controller: ScheduledController, env: Bindings, _ctx: ExecutionContext) {
  const invocation = beginInvocation(env, { cron: controller.cron, scheduled_time: controller.scheduledTime })
  if (!invocation.ok) throw new Error('The Worker environment is invalid; see the log.')
  const { config, logger } = invocation
  const cronJobs = jobs[controller.cron]
  if (!cronJobs) {
    logger.warn('no job for this cron expression')
    return
  }
  const handle = createDb(config, logger, 'background')
  const edge = edgePublisher(env, dbSettingsOf(config), logger)
  try {
    const context = {
      db: handle.db,
      config,
      logger,
      sender: createSender(config),
      documentQueues: documentQueues(env),
      edge,
      now: new Date(controller.scheduledTime),
    }
    for (const job of cronJobs) await job(context)
  } catch (error) {
    logger.error('scheduled job failed', { error })
    throw error
  } finally {
    await edge.flush()
    await handle.close()
  }
}
