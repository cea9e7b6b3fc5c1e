import { eq, lt, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { customers, customerUsers, loginAttempts } from '../db/schema'
import { hashPassword, needsRehash, verifyPassword } from './passwords'

/** Failed logins are counted over this sliding window; nobody stays locked out longer. */
export const LOGIN_WINDOW_MINUTES = 15
/** Failures allowed for one account from one address, for one account from anywhere, and from one address. */
export const LOGIN_LIMITS = { accountFromAddress: 5, account: 50, address: 30 } as const

export type LoginResult =
  | { ok: true; user: { id: string; customerId: string } }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterMinutes: number }

interface FailureCounts extends Record<string, unknown> {
  account_from_address: number | string
  account: number | string
  address: number | string
  oldest: Date | string | null
}

/** Failures in the window (per account only since its last successful login), in one statement. */
async function recentFailures(db: Executor, email: string, address: string) {
  const window = sql`now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})`
  const lastSuccess = sql`coalesce((SELECT max(attempted_at) FROM login_attempts s
      WHERE lower(s.email) = ${email} AND s.succeeded), '-infinity'::timestamptz)`
  const result = await db.execute<FailureCounts>(sql`
    SELECT
      count(*) FILTER (WHERE lower(email) = ${email} AND client_address = ${address} AND attempted_at > ${lastSuccess}) AS account_from_address,
      count(*) FILTER (WHERE lower(email) = ${email} AND attempted_at > ${lastSuccess}) AS account,
      count(*) FILTER (WHERE client_address = ${address}) AS address,
      min(attempted_at) AS oldest
    FROM ${loginAttempts}
    WHERE NOT succeeded AND attempted_at > ${window}
      AND (lower(email) = ${email} OR client_address = ${address})`)
  const row = result.rows[0]
  return {
    accountFromAddress: Number(row?.account_from_address ?? 0),
    account: Number(row?.account ?? 0),
    address: Number(row?.address ?? 0),
    oldest: row?.oldest ? new Date(row.oldest) : null,
  }
}

/**
 * Checks a password login. Wrong email and wrong password look the same (same message,
 * same work). Too many recent failures answer `throttled` without checking the password.
 */
export async function logIn(
  db: Executor,
  input: { email: string; password: string; clientAddress: string },
  now = new Date(),
): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase()
  const address = input.clientAddress.slice(0, 64) || 'unknown'
  const failures = await recentFailures(db, email, address)
  if (
    failures.accountFromAddress >= LOGIN_LIMITS.accountFromAddress ||
    failures.account >= LOGIN_LIMITS.account ||
    failures.address >= LOGIN_LIMITS.address
  ) {
    const oldest = failures.oldest ?? now
    const freeAt = oldest.getTime() + LOGIN_WINDOW_MINUTES * 60_000
    return {
      ok: false,
      reason: 'throttled',
      retryAfterMinutes: Math.max(1, Math.ceil((freeAt - now.getTime()) / 60_000)),
    }
  }

  const [found] = await db
    .select({ user: customerUsers, customerActive: customers.isActive })
    .from(customerUsers)
    .innerJoin(customers, eq(customers.id, customerUsers.customerId))
    .where(sql`lower(${customerUsers.email}) = ${email}`)
    .limit(1)
  const passwordOk = await verifyPassword(input.password, found?.user.passwordHash)
  const ok = Boolean(found && passwordOk && found.user.isActive && found.customerActive)
  await db.insert(loginAttempts).values({ email, clientAddress: address, succeeded: ok, attemptedAt: now })
  if (!ok || !found) return { ok: false, reason: 'invalid' }

  const upgrade = found.user.passwordHash && needsRehash(found.user.passwordHash)
  await db
    .update(customerUsers)
    .set({ lastLoginAt: now, ...(upgrade ? { passwordHash: await hashPassword(input.password) } : {}) })
    .where(eq(customerUsers.id, found.user.id))
  return { ok: true, user: { id: found.user.id, customerId: found.user.customerId } }
}

/** Attempts older than a day no longer matter to any limit (for a periodic clean-up job). */
export async function deleteOldLoginAttempts(db: Executor, now = new Date()): Promise<void> {
  await db.delete(loginAttempts).where(lt(loginAttempts.attemptedAt, new Date(now.getTime() - 86_400_000)))
}
