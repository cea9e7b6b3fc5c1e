import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { id, oneOf, timestamps, timestamptz } from './columns'

export const customers = pgTable('customers', {
  id: id(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  email: text('email').notNull(),
  phone: text('phone'),
  stripeCustomerId: text('stripe_customer_id').unique(),
  isActive: boolean('is_active').notNull().default(true),
  gracePeriodEndsAt: timestamptz('grace_period_ends_at'),
  ...timestamps(),
})

export const CUSTOMER_USER_ROLES = ['admin', 'member'] as const

export const customerUsers = pgTable(
  'customer_users',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    role: text('role', { enum: CUSTOMER_USER_ROLES }).notNull().default('admin'),
    isActive: boolean('is_active').notNull().default(true),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; null until a password is set. */
    passwordHash: text('password_hash'),
    lastLoginAt: timestamptz('last_login_at'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('customer_users_email_unique').on(sql`lower(${t.email})`),
    index('customer_users_customer_idx').on(t.customerId),
    check('customer_users_role_check', oneOf('role', CUSTOMER_USER_ROLES)),
  ],
)

/** Server-side browser sessions. The id is the SHA-256 of the cookie value, never the value. */
export const customerSessions = pgTable(
  'customer_sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => customerUsers.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (t) => [index('customer_sessions_user_idx').on(t.userId), index('customer_sessions_expires_idx').on(t.expiresAt)],
)

/** Failed and successful sign-in attempts, for limiting guesses per account and per address. */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: id(),
    email: text('email').notNull(),
    clientAddress: text('client_address').notNull(),
    succeeded: boolean('succeeded').notNull(),
    attemptedAt: timestamptz('attempted_at').notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(1),
  },
  (t) => [
    index('login_attempts_email_idx').on(sql`lower(${t.email})`, t.attemptedAt),
    index('login_attempts_address_idx').on(t.clientAddress, t.attemptedAt),
  ],
)

/**
 * Attempt counters for rate limits (sign-in, sign-up): one row per key (e.g. `login:address:203.0.113.7`),
 * counted with one upsert so concurrent attempts each see their own count.
 */
export const attemptCounters = pgTable(
  'attempt_counters',
  {
    key: text('key').primaryKey(),
    hits: integer('hits').notNull(),
    windowStartedAt: timestamptz('window_started_at').notNull(),
    windowSeconds: integer('window_seconds').notNull(),
    /** Attempts admitted in a window before the limit applies. */
    freeHits: integer('free_hits').notNull(),
    /** 0: refuse beyond `free_hits` until the window ends; > 0: a doubling delay between admitted attempts, capped here. */
    maxDelaySeconds: integer('max_delay_seconds').notNull(),
    nextAllowedAt: timestamptz('next_allowed_at').notNull(),
    /** Whether the last attempt counted was admitted. */
    admitted: boolean('admitted').notNull(),
  },
  (t) => [index('attempt_counters_window_idx').on(t.windowStartedAt)],
)
