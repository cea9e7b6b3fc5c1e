import { bigint, pgTable, uuid } from 'drizzle-orm/pg-core'
import { timestamptz } from './columns'
import { customers } from './customers'

/**
 * One row per customer: a counter that every committed change to what the per-customer edge cache
 * reads raises (the customer, its subscription and plan, balance, usage, agents and their types,
 * knowledge bases), whoever made it, psql included. Written only by the triggers of migration 0011,
 * once per transaction and customer, at commit; a reader that takes the version and the data in one
 * statement never sees newer data under an older version.
 */
export const edgeStateVersions = pgTable('edge_state_versions', {
  customerId: uuid('customer_id')
    .primaryKey()
    .references(() => customers.id, { onDelete: 'cascade' }),
  version: bigint('version', { mode: 'number' }).notNull().default(1),
  changedAt: timestamptz('changed_at').notNull().defaultNow(),
})
