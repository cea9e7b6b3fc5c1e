import { eq, sql } from 'drizzle-orm'
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

async function freeSlug(db: Executor, name: string): Promise<string> {
  const base = slugify(name)
  const taken = await db.select({ id: customers.id }).from(customers).where(eq(customers.slug, base)).limit(1)
  return taken.length === 0 ? base : `${base}-${randomAlphanumeric(6).toLowerCase()}`
}

/** Creates the customer, its first user (admin) and starts the trial, all or nothing; within the sign-up limits. */
export async function signUp(db: Executor, input: SignUpInput, clientAddress: string): Promise<SignUpResult> {
  const refused = await checkSignUpLimits(db, clientAddress)
  if (refused) return { ok: false, reason: 'throttled', retryAfterSeconds: refused.retryAfterSeconds }
  const existing = await db
    .select({ id: customerUsers.id })
    .from(customerUsers)
    .where(sql`lower(${customerUsers.email}) = ${input.email.toLowerCase()}`)
    .limit(1)
  if (existing.length > 0) {
    return {
      ok: false,
      reason: 'invalid',
      errors: { email: 'An account with this email already exists. Log in instead.' },
    }
  }
  const passwordHash = await hashPassword(input.password)
  const slug = await freeSlug(db, input.company_name)
  return db.transaction(async (tx) => {
    const [customer] = await tx
      .insert(customers)
      .values({ name: input.company_name, slug, email: input.email })
      .returning({ id: customers.id })
    const [user] = await tx
      .insert(customerUsers)
      .values({ customerId: customer!.id, email: input.email, role: 'admin', passwordHash })
      .returning({ id: customerUsers.id })
    await startTrial(tx, customer!.id)
    return { ok: true as const, customerId: customer!.id, userId: user!.id }
  })
}
