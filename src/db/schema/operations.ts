import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { id, oneOf, timestamptz } from './columns'
import { customers } from './customers'

export const OPERATOR_ACTIONS = ['suspend', 'resume', 'credit', 'documents.retry', 'notifications.retry'] as const
export type OperatorActionKind = (typeof OPERATOR_ACTIONS)[number]

/** Audit trail: every `ops` command that changes something, written in the transaction of its effect. */
export const operatorActions = pgTable(
  'operator_actions',
  {
    id: id(),
    operator: text('operator').notNull(),
    action: text('action', { enum: OPERATOR_ACTIONS }).notNull(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    /** What the action was applied to, in words an operator can search for (customer email, document id). */
    target: text('target').notNull(),
    reason: text('reason'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('operator_actions_action_check', oneOf('action', OPERATOR_ACTIONS)),
    index('operator_actions_customer_idx').on(t.customerId, t.createdAt),
    index('operator_actions_created_idx').on(t.createdAt),
  ],
)

/** `opening_balance`: the balance a customer already had when the ledger started (migration). */
export const LEDGER_KINDS = ['opening_balance', 'top_up', 'overage_charge', 'operator_credit'] as const
export type LedgerKind = (typeof LEDGER_KINDS)[number]

/**
 * Every change of a prepaid (extra-usage) balance, written in the transaction of the change:
 * the balance always equals the sum of `amount_cents` for the customer.
 */
export const balanceLedger = pgTable(
  'balance_ledger',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: LEDGER_KINDS }).notNull(),
    /** Positive for credits, negative for charges. */
    amountCents: integer('amount_cents').notNull(),
    balanceAfterCents: integer('balance_after_cents').notNull(),
    stripeCheckoutSessionId: text('stripe_checkout_session_id').unique(),
    periodStart: timestamptz('period_start'),
    operatorActionId: uuid('operator_action_id').references(() => operatorActions.id, { onDelete: 'restrict' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('balance_ledger_kind_check', oneOf('kind', LEDGER_KINDS)),
    check('balance_ledger_amount_check', sql`${t.amountCents} <> 0`),
    check(
      'balance_ledger_source_check',
      sql`kind = 'opening_balance'
        OR (kind = 'top_up' AND stripe_checkout_session_id IS NOT NULL)
        OR (kind = 'overage_charge' AND period_start IS NOT NULL AND amount_cents < 0)
        OR (kind = 'operator_credit' AND operator_action_id IS NOT NULL AND amount_cents > 0)`,
    ),
    index('balance_ledger_customer_idx').on(t.customerId, t.createdAt),
  ],
)
