import { z } from 'zod'
import type { Executor } from '../../db/client'
import { billingSettings } from '../../db/schema'

/** Operator-tunable billing settings (table `billing_settings`), with the defaults used when a key is absent. */
export const billingSettingsSchema = z.object({
  trial_plan_slug: z.string().min(1).catch('trial'),
  trial_duration_days: z.number().positive().catch(14),
  grace_period_hours: z.number().nonnegative().catch(24),
  overage_cents_per_message: z.number().nonnegative().catch(1),
  overage_cents_per_1k_tokens: z.number().nonnegative().catch(1),
  /** How late a usage report may arrive and still be counted (in the period its timestamp belongs to). */
  late_usage_window_days: z.number().positive().catch(35),
})
export type BillingSettings = z.infer<typeof billingSettingsSchema>

/** A malformed or missing value falls back to its default instead of failing a request. */
export function parseBillingSettings(values: Record<string, unknown> | null | undefined): BillingSettings {
  return billingSettingsSchema.parse(values ?? {})
}

export async function getBillingSettings(db: Executor): Promise<BillingSettings> {
  const rows = await db.select({ key: billingSettings.key, value: billingSettings.value }).from(billingSettings)
  return parseBillingSettings(Object.fromEntries(rows.map((r) => [r.key, r.value])))
}
