import { boolean, check, index, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { encryptedText } from '../encrypted-column'
import { id, oneOf, timestamps, timestamptz } from './columns'
import { customerSessions, customers } from './customers'

export const integrationProviders = pgTable('integration_providers', {
  id: id(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  authorizeUrl: text('authorize_url').notNull(),
  tokenUrl: text('token_url').notNull(),
  scopes: text('scopes').notNull().default(''),
  clientId: text('client_id').notNull(),
  clientSecret: encryptedText('client_secret'),
  isActive: boolean('is_active').notNull().default(true),
  ...timestamps(),
})

export const INTEGRATION_STATUSES = ['active', 'expired', 'revoked', 'error'] as const

export const integrations = pgTable(
  'integrations',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    providerId: uuid('provider_id')
      .notNull()
      .references(() => integrationProviders.id, { onDelete: 'restrict' }),
    accountId: text('account_id').notNull(),
    accountName: text('account_name').notNull().default(''),
    status: text('status', { enum: INTEGRATION_STATUSES }).notNull().default('active'),
    accessToken: encryptedText('access_token'),
    refreshToken: encryptedText('refresh_token'),
    tokenExpiresAt: timestamptz('token_expires_at'),
    scopes: text('scopes').notNull().default(''),
    ...timestamps(),
  },
  (t) => [
    unique('integrations_customer_provider_account_unique').on(t.customerId, t.providerId, t.accountId),
    index('integrations_customer_idx').on(t.customerId),
    check('integrations_status_check', oneOf('status', INTEGRATION_STATUSES)),
  ],
)

/** Pending OAuth authorisations: the `state` (hashed) bound to the browser session, with the PKCE verifier. */
export const oauthStates = pgTable('oauth_states', {
  id: text('id').primaryKey(),
  sessionId: text('session_id')
    .notNull()
    .references(() => customerSessions.id, { onDelete: 'cascade' }),
  customerId: uuid('customer_id')
    .notNull()
    .references(() => customers.id, { onDelete: 'cascade' }),
  providerId: uuid('provider_id')
    .notNull()
    .references(() => integrationProviders.id, { onDelete: 'cascade' }),
  codeVerifier: encryptedText('code_verifier').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  expiresAt: timestamptz('expires_at').notNull(),
})
