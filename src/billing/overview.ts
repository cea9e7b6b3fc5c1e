import { and, asc, eq, isNotNull } from 'drizzle-orm'
import { type Dashboard, loadDashboard } from '../customers/dashboard'
import type { Executor } from '../db/client'
import { extraUsageBalances, plans, subscriptions } from '../db/schema'
import { type LedgerEntry, recentLedgerEntries } from './ledger'

export interface BillingOverview extends Dashboard {
  balanceCents: number
  /** The latest changes of the balance, newest first. */
  ledger: LedgerEntry[]
  hasStripeCustomer: boolean
  cancelAtPeriodEnd: boolean
  currentPlanSlug: string | null
  plans: (typeof plans.$inferSelect)[]
}

/** What the billing page shows for one customer: plan, usage against limits, balance, plans to switch to. */
export async function loadBillingOverview(
  db: Executor,
  customer: { id: string; stripeCustomerId: string | null },
): Promise<BillingOverview> {
  const dashboard = await loadDashboard(db, customer.id)
  const balance = await db.query.extraUsageBalances.findFirst({
    where: eq(extraUsageBalances.customerId, customer.id),
    columns: { balanceCents: true },
  })
  const subscription = await db.query.subscriptions.findFirst({
    where: eq(subscriptions.customerId, customer.id),
    columns: { cancelAtPeriodEnd: true },
  })
  const purchasable = await db.query.plans.findMany({
    where: and(eq(plans.isActive, true), isNotNull(plans.stripePriceId)),
    orderBy: [asc(plans.sortOrder), asc(plans.priceCents)],
  })
  const ledger = await recentLedgerEntries(db, customer.id, 10)
  return {
    ...dashboard,
    balanceCents: balance?.balanceCents ?? 0,
    ledger,
    hasStripeCustomer: customer.stripeCustomerId !== null,
    cancelAtPeriodEnd: subscription?.cancelAtPeriodEnd ?? false,
    currentPlanSlug: dashboard.plan?.slug ?? null,
    plans: purchasable,
  }
}
