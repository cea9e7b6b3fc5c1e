import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { agentInstances } from './agents'
import { id, oneOf, timestamps, timestamptz } from './columns'
import { customers } from './customers'
import { BILLING_PERIODS, type PlanLimits } from './plan-values'

// Import-free so that Node scripts (the catalog loader) can use them without the Worker's resolver.
export { BILLING_PERIODS, PLAN_LIMIT_KEYS, type PlanLimits } from './plan-values'

export const plans = pgTable(
  'plans',
  {
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull().unique(),
    description: text('description').notNull().default(''),
    stripePriceId: text('stripe_price_id').unique(),
    priceCents: integer('price_cents').notNull().default(0),
    billingPeriod: text('billing_period', { enum: BILLING_PERIODS }).notNull().default('monthly'),
    limits: jsonb('limits').$type<PlanLimits>().notNull().default({}),
    isActive: boolean('is_active').notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    ...timestamps(),
  },
  (t) => [
    check('plans_billing_period_check', oneOf('billing_period', BILLING_PERIODS)),
    check('plans_price_check', sql`${t.priceCents} >= 0`),
  ],
)

export const SUBSCRIPTION_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'canceled',
  'expired',
  'incomplete',
  'incomplete_expired',
  'unpaid',
  'paused',
] as const
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number]

/** One subscription row per customer: the trial, then whatever Stripe says. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .unique()
      .references(() => customers.id, { onDelete: 'cascade' }),
    planId: uuid('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'restrict' }),
    stripeSubscriptionId: text('stripe_subscription_id').unique(),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull().default('active'),
    currentPeriodStart: timestamptz('current_period_start').notNull().defaultNow(),
    currentPeriodEnd: timestamptz('current_period_end').notNull(),
    trialEndsAt: timestamptz('trial_ends_at'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    /** Creation time of the newest Stripe object applied, so an older event never overwrites a newer state. */
    stripeStateAt: timestamptz('stripe_state_at'),
    ...timestamps(),
  },
  (t) => [
    check('subscriptions_status_check', oneOf('status', SUBSCRIPTION_STATUSES)),
    check('subscriptions_period_check', sql`${t.currentPeriodEnd} >= ${t.currentPeriodStart}`),
    index('subscriptions_status_idx').on(t.status, t.trialEndsAt),
  ],
)

/**
 * Every billing period a customer has had (trial and paid), so a usage report that arrives late is
 * counted in the period its timestamp belongs to, against that period's plan. Written by a trigger on
 * `subscriptions` (migration 0007), so no code path that changes a subscription's period can forget it.
 */
export const billingPeriods = pgTable(
  'billing_periods',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    planId: uuid('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'restrict' }),
    periodStart: timestamptz('period_start').notNull(),
    periodEnd: timestamptz('period_end').notNull(),
    /** The subscription's status when the period was last written (`trialing` marks a trial period). */
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull(),
    ...timestamps(),
  },
  (t) => [
    unique('billing_periods_customer_start_unique').on(t.customerId, t.periodStart),
    check('billing_periods_status_check', oneOf('status', SUBSCRIPTION_STATUSES)),
    check('billing_periods_range_check', sql`${t.periodEnd} >= ${t.periodStart}`),
  ],
)

export const usageRecords = pgTable(
  'usage_records',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    agentInstanceId: uuid('agent_instance_id')
      .notNull()
      .references(() => agentInstances.id, { onDelete: 'cascade' }),
    periodStart: timestamptz('period_start').notNull(),
    periodEnd: timestamptz('period_end').notNull(),
    messages: bigint('messages', { mode: 'number' }).notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    ...timestamps(),
  },
  (t) => [
    unique('usage_records_agent_period_unique').on(t.agentInstanceId, t.periodStart),
    index('usage_records_customer_period_idx').on(t.customerId, t.periodStart),
    check(
      'usage_records_non_negative_check',
      sql`${t.messages} >= 0 AND ${t.inputTokens} >= 0 AND ${t.outputTokens} >= 0`,
    ),
  ],
)

/** Every usage report ever accepted, keyed by the runtime's request id: a report counts once, ever. */
export const usageReports = pgTable(
  'usage_reports',
  {
    requestId: text('request_id').primaryKey(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    agentInstanceId: uuid('agent_instance_id')
      .notNull()
      .references(() => agentInstances.id, { onDelete: 'cascade' }),
    reportedAt: timestamptz('reported_at').notNull(),
    messages: bigint('messages', { mode: 'number' }).notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    receivedAt: timestamptz('received_at').notNull().defaultNow(),
  },
  (t) => [index('usage_reports_customer_idx').on(t.customerId, t.receivedAt)],
)

export const extraUsageBalances = pgTable(
  'extra_usage_balances',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .unique()
      .references(() => customers.id, { onDelete: 'cascade' }),
    balanceCents: integer('balance_cents').notNull().default(0),
    ...timestamps(),
  },
  (t) => [check('extra_usage_balances_non_negative', sql`${t.balanceCents} >= 0`)],
)

/** Operator-tunable billing settings (`trial_plan_slug`, `trial_duration_days`, `grace_period_hours`, ...). */
export const billingSettings = pgTable('billing_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  description: text('description').notNull().default(''),
  ...timestamps(),
})

export const STRIPE_EVENT_STATUSES = ['processed', 'ignored'] as const

/**
 * Stripe event ids already applied: an event is processed once, however often it arrives.
 * `customer_id` is the customer the event was applied to, when processing resolved one; the row
 * outlives its customer (set null), since it is what keeps a late redelivery from applying twice.
 */
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    status: text('status', { enum: STRIPE_EVENT_STATUSES }).notNull(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    stripeCreatedAt: timestamptz('stripe_created_at').notNull(),
    processedAt: timestamptz('processed_at').notNull().defaultNow(),
  },
  (t) => [
    check('stripe_events_status_check', oneOf('status', STRIPE_EVENT_STATUSES)),
    index('stripe_events_customer_idx').on(t.customerId, t.processedAt),
  ],
)

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const

/** Outbox of every notification: what was sent, to whom, when. `dedupe_key` makes jobs re-runnable. */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
    providerMessageId: text('provider_message_id'),
    sentAt: timestamptz('sent_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('notifications_status_check', oneOf('status', NOTIFICATION_STATUSES)),
    index('notifications_customer_idx').on(t.customerId, t.createdAt),
  ],
)
