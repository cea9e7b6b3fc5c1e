// Factories for every model, mirroring section 3 of the testing specification.
// Each takes overrides, creates what it depends on when not given, and returns the row.
// Values are unique per call so tests never share rows.

import type { AnyPgTable } from 'drizzle-orm/pg-core'
import { issueApiKey } from '../../src/agents/api-keys'
import type { Executor } from '../../src/db/client'
import * as s from '../../src/db/schema'
import { encryptNullable } from '../../src/integrations/secrets'
import { testConfig } from './env'

type Insert<T extends { $inferInsert: unknown }> = Partial<T['$inferInsert']>
type WithPlaintext<T, K extends keyof T> = Omit<T, K> & { [P in K]?: string | null }
const encryptionKeys = () => testConfig().ENCRYPTION_KEY

export const uniq = () => crypto.randomUUID().slice(0, 8)
const WORDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'vandelay', 'stark', 'wayne', 'tyrell', 'cyberdyne']
const word = () => WORDS[Math.floor(Math.random() * WORDS.length)]!
const days = (n: number) => new Date(Date.now() + n * 86_400_000)

export const DEFAULT_ONBOARDING_SCHEMA = {
  steps: [{ id: 'basics', title: 'Basic Info', fields: [{ name: 'agent_name', type: 'text', required: true }] }],
  knowledge_base: { enabled: true, required: false, allow_existing: true, allow_create_new: true },
}

export const DEFAULT_PLAN_LIMITS = { messages: 1000, tokens: 100000, agents: 3, knowledge_bases: 2 }

export function factories(db: Executor) {
  const insert = async <T extends AnyPgTable>(table: T, values: Record<string, unknown>) => {
    const [row] = await db
      .insert(table)
      .values(values as never)
      .returning()
    return row as T['$inferSelect']
  }

  /** The parent a row names (its customer as given, if any), or a new one for the row's customer. */
  const parentRow = async (
    id: string | undefined,
    customerId: string | undefined,
    create: (o: { customerId?: string }) => Promise<{ id: string; customerId: string }>,
  ) => (id ? { id, customerId } : create(customerId ? { customerId } : {}))

  const f = {
    customer: (o: Insert<typeof s.customers> = {}) => {
      const name = o.name ?? `${word()} ${uniq()}`
      return insert(s.customers, {
        name,
        slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        email: `billing-${uniq()}@example.com`,
        phone: '+1 555 0100',
        stripeCustomerId: `cus_test_${uniq()}`,
        isActive: true,
        ...o,
      })
    },

    customerUser: async (o: Insert<typeof s.customerUsers> = {}) =>
      insert(s.customerUsers, {
        customerId: o.customerId ?? (await f.customer()).id,
        email: `user-${uniq()}@example.com`,
        firstName: 'Ada',
        lastName: 'Lovelace',
        role: 'admin',
        isActive: true,
        ...o,
      }),

    agentType: (o: Insert<typeof s.agentTypes> = {}) => {
      const name = o.name ?? `${word()}${uniq()}`
      return insert(s.agentTypes, {
        name,
        slug: name.toLowerCase(),
        description: 'An agent type made by a test.',
        systemPromptTemplate: 'You are a helpful assistant for {company_name}.',
        onboardingSchema: DEFAULT_ONBOARDING_SCHEMA,
        isActive: true,
        ...o,
      })
    },

    /** An agent with a real API key (its full key returned as `apiKey`), unless prefix and hash are given. */
    agentInstance: async (o: Insert<typeof s.agentInstances> = {}) => {
      const issued = await issueApiKey()
      const row = await insert(s.agentInstances, {
        customerId: o.customerId ?? (await f.customer()).id,
        agentTypeId: o.agentTypeId ?? (await f.agentType()).id,
        name: `${word()}-${uniq()}`,
        configuration: {},
        isActive: true,
        apiKeyPrefix: issued.prefix,
        apiKeyHash: issued.hash,
        ...o,
      })
      return { ...row, apiKey: o.apiKeyPrefix || o.apiKeyHash ? undefined : issued.key }
    },

    onboardingSession: async (o: Insert<typeof s.onboardingSessions> = {}) =>
      insert(s.onboardingSessions, {
        customerId: o.customerId ?? (await f.customer()).id,
        agentTypeId: o.agentTypeId ?? (await f.agentType()).id,
        status: 'in_progress',
        data: {},
        ...o,
      }),

    knowledgeBase: async (o: Insert<typeof s.knowledgeBases> = {}) =>
      insert(s.knowledgeBases, {
        customerId: o.customerId ?? (await f.customer()).id,
        name: `${word()} docs ${uniq()}`,
        description: 'A knowledge base made by a test.',
        ...o,
      }),

    knowledgeDocument: async (o: Insert<typeof s.knowledgeDocuments> = {}) => {
      const kb = await parentRow(o.knowledgeBaseId, o.customerId, f.knowledgeBase)
      return insert(s.knowledgeDocuments, {
        knowledgeBaseId: kb.id,
        customerId: kb.customerId ?? (await knowledgeBaseCustomer(db, kb.id)),
        title: `Document ${uniq()}`,
        sourceType: 'upload',
        status: 'pending',
        fileSize: 1024,
        ...o,
      })
    },

    documentChunk: async (o: Insert<typeof s.documentChunks> = {}) => {
      const doc = o.documentId ? await documentById(db, o.documentId) : await f.knowledgeDocument()
      return insert(s.documentChunks, {
        documentId: doc.id,
        customerId: doc.customerId,
        knowledgeBaseId: doc.knowledgeBaseId,
        content: `Paragraph ${uniq()} about the product.`,
        chunkIndex: Math.floor(Math.random() * 1_000_000_000),
        tokenCount: 100,
        ...o,
      })
    },

    plan: (o: Insert<typeof s.plans> = {}) => {
      const name = o.name ?? `plan${uniq()}`
      return insert(s.plans, {
        name,
        slug: name.toLowerCase(),
        stripePriceId: `price_test_${uniq()}`,
        priceCents: 4900,
        billingPeriod: 'monthly',
        limits: DEFAULT_PLAN_LIMITS,
        isActive: true,
        ...o,
      })
    },

    subscription: async (o: Insert<typeof s.subscriptions> = {}) =>
      insert(s.subscriptions, {
        customerId: o.customerId ?? (await f.customer()).id,
        planId: o.planId ?? (await f.plan()).id,
        stripeSubscriptionId: `sub_test_${uniq()}`,
        status: 'active',
        currentPeriodStart: new Date(),
        currentPeriodEnd: days(30),
        ...o,
      }),

    usageRecord: async (o: Insert<typeof s.usageRecords> = {}) => {
      const agent = await parentRow(o.agentInstanceId, o.customerId, f.agentInstance)
      return insert(s.usageRecords, {
        customerId: agent.customerId,
        agentInstanceId: agent.id,
        periodStart: new Date(),
        periodEnd: days(30),
        messages: 0,
        inputTokens: 0,
        outputTokens: 0,
        ...o,
      })
    },

    extraUsageBalance: async (o: Insert<typeof s.extraUsageBalances> = {}) =>
      insert(s.extraUsageBalances, { customerId: o.customerId ?? (await f.customer()).id, balanceCents: 0, ...o }),

    /** `clientSecret` is given in plaintext and stored encrypted. */
    integrationProvider: async (o: WithPlaintext<Insert<typeof s.integrationProviders>, 'clientSecret'> = {}) => {
      const slug = o.slug ?? `provider-${uniq()}`
      const { clientSecret, ...rest } = o
      return insert(s.integrationProviders, {
        name: `Provider ${slug}`,
        slug,
        authorizeUrl: 'https://provider.example/oauth/authorize',
        tokenUrl: 'https://provider.example/oauth/token',
        scopes: 'read',
        clientId: `client-${uniq()}`,
        ...rest,
        clientSecret: await encryptNullable(encryptionKeys(), clientSecret ?? null),
      })
    },

    /** `accessToken`/`refreshToken` are given in plaintext (null for none) and stored encrypted. */
    integration: async (o: WithPlaintext<Insert<typeof s.integrations>, 'accessToken' | 'refreshToken'> = {}) => {
      const { accessToken, refreshToken, ...rest } = o
      const keys = encryptionKeys()
      return insert(s.integrations, {
        customerId: o.customerId ?? (await f.customer()).id,
        providerId: o.providerId ?? (await f.integrationProvider()).id,
        accountId: `account_${uniq()}`,
        accountName: `${word()} inc`,
        status: 'active',
        tokenExpiresAt: days(1),
        ...rest,
        accessToken: await encryptNullable(keys, accessToken === undefined ? `at_${uniq()}` : accessToken),
        refreshToken: await encryptNullable(keys, refreshToken === undefined ? `rt_${uniq()}` : refreshToken),
      })
    },
  }
  return f
}

async function knowledgeBaseCustomer(db: Executor, id: string) {
  const kb = await db.query.knowledgeBases.findFirst({ where: (t, { eq }) => eq(t.id, id) })
  if (!kb) throw new Error(`knowledge base ${id} does not exist`)
  return kb.customerId
}

async function documentById(db: Executor, id: string) {
  const doc = await db.query.knowledgeDocuments.findFirst({ where: (t, { eq }) => eq(t.id, id) })
  if (!doc) throw new Error(`document ${id} does not exist`)
  return doc
}

export type Factories = ReturnType<typeof factories>
/** What a test may set on a factory's row, e.g. `FactoryOverrides<'customer'>`. */
export type FactoryOverrides<K extends keyof Factories> = NonNullable<Parameters<Factories[K]>[0]>
