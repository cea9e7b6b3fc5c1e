import { eq } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { plans, subscriptions } from '../../db/schema'
import { Conflict, Unavailable } from '../../errors'
import { getBillingSettings } from './settings'

const DAY_MS = 86_400_000

/**
 * Starts the customer's trial: a `trialing` subscription on the plan named by `trial_plan_slug`, for
 * `trial_duration_days` (billing settings). The trial is the current period. A customer gets one
 * subscription row, so a second trial is refused (Conflict).
 */
export async function startTrial(db: Executor, customerId: string, now: Date = new Date()) {
  const settings = await getBillingSettings(db)
  const [plan] = await db.select({ id: plans.id }).from(plans).where(eq(plans.slug, settings.trial_plan_slug)).limit(1)
  if (!plan) {
    throw new Unavailable(`The trial plan "${settings.trial_plan_slug}" is not in the catalog`)
  }
  const trialEndsAt = new Date(now.getTime() + settings.trial_duration_days * DAY_MS)
  const [subscription] = await db
    .insert(subscriptions)
    .values({
      customerId,
      planId: plan.id,
      status: 'trialing',
      currentPeriodStart: now,
      currentPeriodEnd: trialEndsAt,
      trialEndsAt,
    })
    .onConflictDoNothing({ target: subscriptions.customerId })
    .returning()
  if (!subscription) throw new Conflict('The customer already has a subscription')
  return subscription
}
