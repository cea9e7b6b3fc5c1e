import { sql } from 'drizzle-orm'
import { boolean, check, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { id, oneOf, timestamps, timestamptz } from './columns'
import { customers, customerUsers } from './customers'
import { knowledgeBases } from './knowledge'

export const agentTypes = pgTable('agent_types', {
  id: id(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  description: text('description').notNull().default(''),
  systemPromptTemplate: text('system_prompt_template').notNull().default(''),
  onboardingSchema: jsonb('onboarding_schema').$type<Record<string, unknown>>().notNull().default({}),
  isActive: boolean('is_active').notNull().default(true),
  ...timestamps(),
})

/** Why an agent was switched off, so billing can switch back on only what it switched off. */
export const AGENT_DISABLED_REASONS = ['manual', 'grace_expired', 'trial_expired'] as const

export const agentInstances = pgTable(
  'agent_instances',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    agentTypeId: uuid('agent_type_id')
      .notNull()
      .references(() => agentTypes.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    configuration: jsonb('configuration').$type<Record<string, unknown>>().notNull().default({}),
    knowledgeBaseId: uuid('knowledge_base_id').references(() => knowledgeBases.id, { onDelete: 'set null' }),
    isActive: boolean('is_active').notNull().default(true),
    disabledReason: text('disabled_reason', { enum: AGENT_DISABLED_REASONS }),
    /** `efk_<public id>`: the part of the key before the second `_`. */
    apiKeyPrefix: text('api_key_prefix').notNull().unique(),
    /** Lowercase hex SHA-256 of the full key; the key itself is never stored. */
    apiKeyHash: text('api_key_hash').notNull(),
    ...timestamps(),
  },
  (t) => [
    index('agent_instances_customer_idx').on(t.customerId),
    index('agent_instances_knowledge_base_idx').on(t.knowledgeBaseId),
    check(
      'agent_instances_disabled_reason_check',
      sql`${sql.raw('disabled_reason')} IS NULL OR ${oneOf('disabled_reason', AGENT_DISABLED_REASONS)}`,
    ),
  ],
)

export const ONBOARDING_STATUSES = ['in_progress', 'completed', 'abandoned'] as const

export const onboardingSessions = pgTable(
  'onboarding_sessions',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    agentTypeId: uuid('agent_type_id')
      .notNull()
      .references(() => agentTypes.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => customerUsers.id, { onDelete: 'set null' }),
    status: text('status', { enum: ONBOARDING_STATUSES }).notNull().default('in_progress'),
    currentStep: text('current_step'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    agentInstanceId: uuid('agent_instance_id').references(() => agentInstances.id, { onDelete: 'set null' }),
    completedAt: timestamptz('completed_at'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('onboarding_sessions_one_in_progress')
      .on(t.customerId, t.agentTypeId)
      .where(sql`status = 'in_progress'`),
    check('onboarding_sessions_status_check', oneOf('status', ONBOARDING_STATUSES)),
  ],
)
