import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { startTrial } from '../billing/rules/trial'
import type { Executor } from '../db/client'
import { customers, customerUsers } from '../db/schema'
import { randomAlphanumeric } from '../platform/crypto'
import { countAttempt, networkOf, refusal } from './attempt-limits'
import { hashPassword } from './passwords'

export const signUpInput = z.object({
  company_name: z
    .string()
    .trim()
    .min(2, 'Enter your company name (at least 2 characters)')
    .max(100, 'Use at most 100 characters'),
  email: z.string().trim().toLowerCase().pipe(z.email('Enter a valid email address')).pipe(z.string().max(254)),
  password: z
    .string()
    .min(10, 'Use at least 10 characters')
    .max(200, 'Use at most 200 characters')
    .refine((p) => p.trim().length > 0, 'The password cannot be only spaces'),
})
export type SignUpInput = z.infer<typeof signUpInput>

export type SignUpResult =
  | { ok: true; customerId: string; userId: string }
  | { ok: false; reason: 'invalid'; errors: Partial<Record<keyof SignUpInput, string>> }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }

/**
 * Sign-ups (well-formed ones, whatever their outcome) per hour from one address, and from one
 * network (IPv4 /24, IPv6 /64): a company signs up once; a script making trial accounts does not.
 */
export const SIGNUP_LIMITS = { address: 5, network: 20, windowMinutes: 60 } as const

/** Counts this sign-up against the limits (one statement); refused when over either. */
async function checkSignUpLimits(db: Executor, clientAddress: string) {
  const address = clientAddress.slice(0, 64) || 'unknown'
  const windowSeconds = SIGNUP_LIMITS.windowMinutes * 60
  const states = await countAttempt(db, [
    { key: `signup:address:${address}`, windowSeconds, freeHits: SIGNUP_LIMITS.address },
    { key: `signup:network:${networkOf(address)}`, windowSeconds, freeHits: SIGNUP_LIMITS.network },
  ])
  return refusal(states)
}

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return slug || 'company'
}

/** The slug for a new company: its name's, or with a random suffix when that one is taken. */
function slugCandidates(name: string): string[] {
  const base = slugify(name)
  return [base, ...Array.from({ length: 4 }, () => `${base}-${randomAlphanumeric(6).toLowerCase()}`)]
}

const EMAIL_TAKEN = {
  reason: 'invalid' as const,
  errors: { email: 'An account with this email already exists. Log in instead.' },
}

/** Thrown inside the sign-up transaction to roll it back when another sign-up took the email first. */
class EmailTaken extends Error {}

/**
 * Creates the customer, its first user (admin) and starts the trial, all or nothing; within the
 * sign-up limits. Concurrent
 * sign-ups are settled by the unique indexes, never by an earlier read: the same email at once
 * makes one account (the others get the "already exists" message), the same company name at once
 * gives each its own slug.
 */
export async function signUp(db: Executor, input: SignUpInput, clientAddress: string): Promise<SignUpResult> {
  const refused = await checkSignUpLimits(db, clientAddress)
  if (refused) return { ok: false, reason: 'throttled', retryAfterSeconds: refused.retryAfterSeconds }
  const existing = await db
    .select({ id: customerUsers.id })
    .from(customerUsers)
    .where(sql`lower(${customerUsers.email}) = ${input.email.toLowerCase()}`)
    .limit(1)
  if (existing.length > 0) return { ok: false, ...EMAIL_TAKEN }
  const passwordHash = await hashPassword(input.password)
  try {
    return await db.transaction(async (tx) => {
      let customerId: string | undefined
      for (const slug of slugCandidates(input.company_name)) {
        const [row] = await tx
          .insert(customers)
          .values({ name: input.company_name, slug, email: input.email })
          .onConflictDoNothing({ target: customers.slug })
          .returning({ id: customers.id })
        customerId = row?.id
        if (customerId) break
      }
      if (!customerId) throw new Error('No free slug for the company name after several tries')
      const [user] = await tx
        .insert(customerUsers)
        .values({ customerId, email: input.email, role: 'admin', passwordHash })
        .onConflictDoNothing()
        .returning({ id: customerUsers.id })
      if (!user) throw new EmailTaken()
      await startTrial(tx, customerId)
      return { ok: true as const, customerId, userId: user.id }
    })
  } catch (error) {
    if (error instanceof EmailTaken) return { ok: false, ...EMAIL_TAKEN }
    // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
    throw error
  }
}
