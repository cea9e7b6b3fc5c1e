import { eq, lt, lte, or } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { customerSessions, customers, customerUsers } from '../db/schema'
import { randomBytes, sha256Hex } from '../platform/crypto'
import { bytesToBase64Url } from '../platform/encoding'

/** Sessions end after this long without a request... */
export const SESSION_IDLE_TIMEOUT_MS = 8 * 60 * 60 * 1000
/** ...and after this long in any case. */
export const SESSION_ABSOLUTE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000
/** `last_seen_at` is refreshed at most this often, so most requests cost one statement. */
const TOUCH_INTERVAL_MS = 60 * 1000

export type Customer = typeof customers.$inferSelect

export interface SessionUser {
  id: string
  email: string
  firstName: string
  lastName: string
  role: 'admin' | 'member'
}

export interface CustomerSession {
  /** SHA-256 of the cookie value (the row id). */
  id: string
  csrfToken: string
  user: SessionUser
  createdAt: Date
  expiresAt: Date
}

export interface StartedSession {
  /** The cookie value: shown to the browser only, never stored. */
  token: string
  session: CustomerSession
}

export async function createSession(
  db: Executor,
  user: { id: string; customerId: string },
  now = new Date(),
): Promise<StartedSession> {
  const token = bytesToBase64Url(randomBytes(32))
  const id = await sha256Hex(token)
  const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_TIMEOUT_MS)
  const csrfToken = bytesToBase64Url(randomBytes(24))
  await db.insert(customerSessions).values({
    id,
    userId: user.id,
    customerId: user.customerId,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  })
  const row = await db.query.customerUsers.findFirst({ where: eq(customerUsers.id, user.id) })
  if (!row) throw new Error('session user vanished')
  return {
    token,
    session: {
      id,
      csrfToken,
      createdAt: now,
      expiresAt,
      user: { id: row.id, email: row.email, firstName: row.firstName, lastName: row.lastName, role: row.role },
    },
  }
}

/**
 * The live session for a cookie value with its user and customer, or null when it is
 * unknown, idle too long, past its absolute expiry, or its user or customer is inactive.
 */
export async function findSession(
  db: Executor,
  token: string,
  now = new Date(),
): Promise<{ session: CustomerSession; customer: Customer } | null> {
  if (!token || token.length > 200) return null
  const id = await sha256Hex(token)
  const [row] = await db
    .select({ session: customerSessions, user: customerUsers, customer: customers })
    .from(customerSessions)
    .innerJoin(customerUsers, eq(customerUsers.id, customerSessions.userId))
    .innerJoin(customers, eq(customers.id, customerSessions.customerId))
    .where(eq(customerSessions.id, id))
    .limit(1)
  if (!row) return null
  const idleSince = now.getTime() - row.session.lastSeenAt.getTime()
  const expired = row.session.expiresAt <= now || idleSince > SESSION_IDLE_TIMEOUT_MS
  if (expired || !row.user.isActive || !row.customer.isActive || row.user.customerId !== row.customer.id) {
    if (expired) await db.delete(customerSessions).where(eq(customerSessions.id, id))
    return null
  }
  if (idleSince > TOUCH_INTERVAL_MS) {
    await db.update(customerSessions).set({ lastSeenAt: now }).where(eq(customerSessions.id, id))
  }
  const { user } = row
  return {
    customer: row.customer,
    session: {
      id,
      csrfToken: row.session.csrfToken,
      createdAt: row.session.createdAt,
      expiresAt: row.session.expiresAt,
      user: { id: user.id, email: user.email, firstName: user.firstName, lastName: user.lastName, role: user.role },
    },
  }
}

export async function deleteSession(db: Executor, sessionId: string): Promise<void> {
  await db.delete(customerSessions).where(eq(customerSessions.id, sessionId))
}

/** Ends every session of a user (e.g. after a password change). */
export async function deleteUserSessions(db: Executor, userId: string): Promise<void> {
  await db.delete(customerSessions).where(eq(customerSessions.userId, userId))
}

export async function deleteExpiredSessions(db: Executor, now = new Date()): Promise<void> {
  const idleCutoff = new Date(now.getTime() - SESSION_IDLE_TIMEOUT_MS)
  await db
    .delete(customerSessions)
    .where(or(lte(customerSessions.expiresAt, now), lt(customerSessions.lastSeenAt, idleCutoff)))
}
