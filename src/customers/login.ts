import { eq, sql } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { attemptCounters, customers, customerUsers, loginAttempts } from '../db/schema'
import { type AttemptBucket, bucketStates, type CountedRow, countAttemptsStatement, refusal } from './attempt-limits'
import { hashPassword, needsRehash, verifyPassword } from './passwords'

/** Sign-in attempts are counted over windows of this length, starting at the first attempt. */
export const LOGIN_WINDOW_MINUTES = 15
/**
 * Attempts checked per window: for one account from one address, and from one address across
 * accounts (both refuse until the window ends: they only ever block the guessing address). For one
 * account from anywhere, `account` are checked freely; after that a delay that doubles with every
 * attempt (1 s, 2 s, 4 s ... `accountMaxDelaySeconds`) instead of a block a stranger could impose.
 */
export const LOGIN_LIMITS = { accountFromAddress: 5, address: 30, account: 10, accountMaxDelaySeconds: 60 } as const
/** An address that signed in to the account within this many days skips the account-wide delay. */
export const TRUSTED_ADDRESS_DAYS = 30

export type LoginResult =
  | { ok: true; user: { id: string; customerId: string } }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }

const keys = (email: string, address: string) => ({
  accountFromAddress: `login:account+address:${email} ${address}`,
  account: `login:account:${email}`,
  address: `login:address:${address}`,
})

function loginBuckets(email: string, address: string): AttemptBucket[] {
  const k = keys(email, address)
  const windowSeconds = LOGIN_WINDOW_MINUTES * 60
  return [
    { key: k.accountFromAddress, windowSeconds, freeHits: LOGIN_LIMITS.accountFromAddress },
    {
      key: k.account,
      windowSeconds,
      freeHits: LOGIN_LIMITS.account,
      maxDelaySeconds: LOGIN_LIMITS.accountMaxDelaySeconds,
    },
    { key: k.address, windowSeconds, freeHits: LOGIN_LIMITS.address },
  ]
}

interface RecordedRow extends CountedRow {
  attempt_id: string
  trusted: boolean
}

/**
 * Records the attempt (a failure until proven otherwise) and counts it in every bucket, in ONE
 * statement, before any password is checked: concurrent guesses cannot all slip under a limit.
 */
async function recordAttempt(db: Executor, email: string, address: string) {
  const result = await db.execute<RecordedRow>(sql`
    WITH counted AS (${countAttemptsStatement(loginBuckets(email, address))}),
    logged AS (
      INSERT INTO ${loginAttempts} (email, client_address, succeeded) VALUES (${email}, ${address}, false) RETURNING id
    )
    SELECT counted.*, (SELECT id FROM logged) AS attempt_id,
      EXISTS (SELECT 1 FROM ${loginAttempts} t
        WHERE lower(t.email) = ${email} AND t.client_address = ${address} AND t.succeeded
          AND t.attempted_at > now() - make_interval(days => ${TRUSTED_ADDRESS_DAYS})) AS trusted
    FROM counted`)
  const trusted = result.rows[0]?.trusted === true
  const account = keys(email, address).account
  const states = bucketStates(result.rows).map((s) => (s.key === account && trusted ? { ...s, admitted: true } : s))
  return { attemptId: result.rows[0]?.attempt_id ?? null, refused: refusal(states) }
}

/** A good password: the attempt was not a failure, so it stops counting against the account or the address. */
async function forgiveAttempt(db: Executor, attemptId: string | null, email: string, address: string) {
  const k = keys(email, address)
  await db.execute(sql`
    WITH marked AS (UPDATE ${loginAttempts} SET succeeded = true WHERE id = ${attemptId}::uuid),
    cleared AS (DELETE FROM ${attemptCounters} WHERE key IN (${k.accountFromAddress}, ${k.account}))
    UPDATE ${attemptCounters} SET hits = greatest(hits - 1, 0) WHERE key = ${k.address}`)
}

/**
 * Checks a password login. Wrong email and wrong password look the same (same message, same
 * work). An attempt over a limit answers `throttled` without checking the password.
 */
export async function logIn(
  db: Executor,
  input: { email: string; password: string; clientAddress: string },
  now = new Date(),
): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase()
  const address = input.clientAddress.slice(0, 64) || 'unknown'
  const { attemptId, refused } = await recordAttempt(db, email, address)
  if (refused) return { ok: false, reason: 'throttled', retryAfterSeconds: refused.retryAfterSeconds }

  const [found] = await db
    .select({ user: customerUsers, customerActive: customers.isActive })
    .from(customerUsers)
    .innerJoin(customers, eq(customers.id, customerUsers.customerId))
    .where(sql`lower(${customerUsers.email}) = ${email}`)
    .limit(1)
  const passwordOk = await verifyPassword(input.password, found?.user.passwordHash)
  if (!found || !passwordOk || !found.user.isActive || !found.customerActive) return { ok: false, reason: 'invalid' }

  await forgiveAttempt(db, attemptId, email, address)
  const upgrade = found.user.passwordHash && needsRehash(found.user.passwordHash)
  await db
    .update(customerUsers)
    .set({ lastLoginAt: now, ...(upgrade ? { passwordHash: await hashPassword(input.password) } : {}) })
    .where(eq(customerUsers.id, found.user.id))
  return { ok: true, user: { id: found.user.id, customerId: found.user.customerId } }
}

/**
 * Housekeeping: failed attempts older than a day matter to no limit (the counters hold the counts);
 * successful ones are kept for the trusted-address period.
 */
export async function deleteOldLoginAttempts(db: Executor, now = new Date()): Promise<void> {
  const dayAgo = new Date(now.getTime() - 86_400_000)
  const trustedSince = new Date(now.getTime() - (TRUSTED_ADDRESS_DAYS + 1) * 86_400_000)
  await db
    .delete(loginAttempts)
    .where(
      sql`(NOT ${loginAttempts.succeeded} AND ${loginAttempts.attemptedAt} < ${dayAgo}) OR ${loginAttempts.attemptedAt} < ${trustedSince}`,
    )
}
