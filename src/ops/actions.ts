import { and, eq, inArray, sql } from 'drizzle-orm'
import { reactivateAgentsIfBillingAllows } from '../billing/rules/agent-reactivation'
import { lockCustomer } from '../billing/rules/customer-lock'
import { addPrepaidCredit } from '../billing/rules/prepaid-credit'
import type { Database, Executor } from '../db/client'
import {
  balanceLedger,
  customers,
  knowledgeDocuments,
  notifications,
  type OperatorActionKind,
  operatorActions,
} from '../db/schema'
import { isUuid } from '../platform/uuid'

/** An operator's request that cannot be carried out as asked (unknown customer, bad amount, ...). */
export class OpsError extends Error {
  readonly code: 'not_found' | 'invalid' | 'conflict'
  constructor(message: string, code: 'not_found' | 'invalid' | 'conflict') {
    super(message)
    this.code = code
  }
}

export interface CustomerRef {
  id: string
  email: string
  name: string
}

/** A customer by id, email (the account's or one of its users') or Stripe customer id. */
export async function findCustomer(db: Executor, ref: string): Promise<CustomerRef> {
  const needle = ref.trim()
  const { rows } = await db.execute<{ id: string; email: string; name: string }>(sql`
    SELECT DISTINCT c.id, c.email, c.name FROM customers c
    LEFT JOIN customer_users u ON u.customer_id = c.id
    WHERE ${isUuid(needle) ? sql`c.id = ${needle}::uuid OR ` : sql``}
      lower(c.email) = lower(${needle}) OR lower(u.email) = lower(${needle}) OR c.stripe_customer_id = ${needle}
    LIMIT 2`)
  if (rows.length === 0)
    throw new OpsError(`No customer matches "${needle}" (id, email or Stripe customer id).`, 'not_found')
  if (rows.length > 1)
    throw new OpsError(`"${needle}" matches more than one customer; use the customer id.`, 'conflict')
  return rows[0] as CustomerRef
}

interface ActionInput {
  operator: string
  action: OperatorActionKind
  customerId: string | null
  target: string
  reason?: string | null
  details?: Record<string, unknown>
}

/** The audit row of an operator action; call it inside the transaction that carries the action out. */
export async function recordOperatorAction(tx: Executor, input: ActionInput): Promise<string> {
  const [row] = await tx
    .insert(operatorActions)
    .values({ ...input, reason: input.reason ?? null, details: input.details ?? {} })
    .returning({ id: operatorActions.id })
  if (!row) throw new Error('operator action not recorded')
  return row.id
}

function requireReason(reason: string | undefined): string {
  const text = reason?.trim()
  if (!text) throw new OpsError('A reason is required (--reason "...").', 'invalid')
  return text
}

/** Suspends a customer: the runtime refuses everything of theirs from the next request on. */
export async function suspendCustomer(db: Database, customer: CustomerRef, operator: string, reason?: string) {
  const why = requireReason(reason)
  return db.transaction(async (tx) => {
    await lockCustomer(tx, customer.id)
    const [before] = await tx
      .select({ isActive: customers.isActive })
      .from(customers)
      .where(eq(customers.id, customer.id))
    await tx.update(customers).set({ isActive: false }).where(eq(customers.id, customer.id))
    const actionId = await recordOperatorAction(tx, {
      operator,
      action: 'suspend',
      customerId: customer.id,
      target: customer.email,
      reason: why,
      details: { was_active: before?.isActive ?? null },
    })
    return { actionId, wasActive: before?.isActive ?? false }
  })
}

/** Lifts a suspension and runs the billing re-enable rule: agents billing switched off come back if allowed. */
export async function resumeCustomer(
  db: Database,
  customer: CustomerRef,
  operator: string,
  reason?: string,
  now: Date = new Date(),
) {
  return db.transaction(async (tx) => {
    await lockCustomer(tx, customer.id)
    await tx.update(customers).set({ isActive: true }).where(eq(customers.id, customer.id))
    const agentsSwitchedOn = await reactivateAgentsIfBillingAllows(tx, customer.id, now)
    const actionId = await recordOperatorAction(tx, {
      operator,
      action: 'resume',
      customerId: customer.id,
      target: customer.email,
      reason: reason?.trim() || null,
      details: { agents_switched_on: agentsSwitchedOn },
    })
    return { actionId, agentsSwitchedOn }
  })
}

/** "20", "12.50", "$5": a positive amount of US dollars with at most two decimals, in cents. */
export function parseDollars(input: string): number {
  const match = /^\$?(\d{1,7})(?:\.(\d{1,2}))?$/.exec(input.trim())
  const cents = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : Number.NaN
  if (!Number.isInteger(cents) || cents <= 0) {
    throw new OpsError(`"${input}" is not an amount in US dollars (like 20 or 12.50, above zero).`, 'invalid')
  }
  return cents
}

/** An operator's prepaid credit: the audit row, the balance, its ledger row and the re-enable rule, in one transaction. */
export async function creditCustomer(
  db: Database,
  customer: CustomerRef,
  cents: number,
  operator: string,
  reason?: string,
  now: Date = new Date(),
) {
  const why = requireReason(reason)
  return db.transaction(async (tx) => {
    await lockCustomer(tx, customer.id)
    const actionId = await recordOperatorAction(tx, {
      operator,
      action: 'credit',
      customerId: customer.id,
      target: customer.email,
      reason: why,
      details: { amount_cents: cents },
    })
    const agentsSwitchedOn = await addPrepaidCredit(
      tx,
      customer.id,
      cents,
      { kind: 'operator_credit', operatorActionId: actionId },
      now,
    )
    const [entry] = await tx
      .select({ balanceAfterCents: balanceLedger.balanceAfterCents })
      .from(balanceLedger)
      .where(eq(balanceLedger.operatorActionId, actionId))
    return { actionId, agentsSwitchedOn, balanceCents: entry?.balanceAfterCents ?? cents }
  })
}

/**
 * Failed documents back to the stuck-document sweep: each is marked as a run that stopped long ago
 * with no attempts used, so the next sweep (every 15 minutes) puts it back on the documents queue
 * through the product's own path. This is the one way a document that failed on an extraction limit
 * (`failed_on_limits`, which its customer cannot re-index) gets another run. Returns the documents handed over.
 */
export async function retryFailedDocuments(
  db: Database,
  selection: { ids: string[] } | { allFailed: true },
  operator: string,
) {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(knowledgeDocuments)
      .set({ status: 'processing', processingStartedAt: new Date(0), unfinishedAttempts: 0, failedOnLimits: false })
      .where(
        and(
          eq(knowledgeDocuments.status, 'error'),
          'ids' in selection ? inArray(knowledgeDocuments.id, selection.ids) : undefined,
        ),
      )
      .returning({ id: knowledgeDocuments.id, customer_id: knowledgeDocuments.customerId })
    if ('ids' in selection) {
      const handed = new Set(rows.map((r) => r.id))
      const notRetried = selection.ids.filter((id) => !handed.has(id))
      if (notRetried.length > 0) {
        throw new OpsError(`Not a failed document: ${notRetried.join(', ')} (see "ops documents failed").`, 'not_found')
      }
    }
    if (rows.length > 0) {
      await recordOperatorAction(tx, {
        operator,
        action: 'documents.retry',
        customerId: new Set(rows.map((r) => r.customer_id)).size === 1 ? (rows[0]?.customer_id ?? null) : null,
        target: 'ids' in selection ? selection.ids.join(',') : 'all failed documents',
        details: { documents: rows.map((r) => r.id) },
      })
    }
    return rows.map((r) => r.id)
  })
}

/** Failed notifications back to `pending`: the next job run's outbox delivery (deliverPending) sends them. */
export async function retryFailedNotifications(db: Database, operator: string) {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(notifications)
      .set({ status: 'pending' })
      .where(eq(notifications.status, 'failed'))
      .returning({ id: notifications.id })
    if (rows.length > 0) {
      await recordOperatorAction(tx, {
        operator,
        action: 'notifications.retry',
        customerId: null,
        target: 'all failed notifications',
        details: { notifications: rows.map((r) => r.id) },
      })
    }
    return rows.map((r) => r.id)
  })
}
