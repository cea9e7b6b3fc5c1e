import { asc, desc, eq } from 'drizzle-orm'
import type { Executor } from '../db/client'
import {
  agentInstances,
  agentTypes,
  integrationProviders,
  integrations,
  notifications,
  stripeEvents,
} from '../db/schema'

/** A customer's agents, oldest first, with what an operator needs to tell why one is off. */
export const customerAgents = (db: Executor, customerId: string) =>
  db
    .select({
      id: agentInstances.id,
      name: agentInstances.name,
      type: agentTypes.slug,
      isActive: agentInstances.isActive,
      disabledReason: agentInstances.disabledReason,
      apiKeyPrefix: agentInstances.apiKeyPrefix,
    })
    .from(agentInstances)
    .innerJoin(agentTypes, eq(agentTypes.id, agentInstances.agentTypeId))
    .where(eq(agentInstances.customerId, customerId))
    .orderBy(asc(agentInstances.createdAt))

/** A customer's integrations by provider. Explicit columns: access and refresh tokens are never read. */
export const customerIntegrations = (db: Executor, customerId: string) =>
  db
    .select({
      provider: integrationProviders.slug,
      account: integrations.accountName,
      status: integrations.status,
      expiresAt: integrations.tokenExpiresAt,
    })
    .from(integrations)
    .innerJoin(integrationProviders, eq(integrationProviders.id, integrations.providerId))
    .where(eq(integrations.customerId, customerId))
    .orderBy(asc(integrationProviders.slug))

export const recentNotifications = (db: Executor, customerId: string, limit: number) =>
  db
    .select({
      at: notifications.createdAt,
      kind: notifications.kind,
      status: notifications.status,
      subject: notifications.subject,
    })
    .from(notifications)
    .where(eq(notifications.customerId, customerId))
    .orderBy(desc(notifications.createdAt))
    .limit(limit)

/** Stripe events applied to the customer; events that resolved no customer of ours belong to nobody here. */
export const recentStripeEvents = (db: Executor, customerId: string, limit: number) =>
  db
    .select({ id: stripeEvents.id, type: stripeEvents.type, status: stripeEvents.status, at: stripeEvents.processedAt })
    .from(stripeEvents)
    .where(eq(stripeEvents.customerId, customerId))
    .orderBy(desc(stripeEvents.processedAt))
    .limit(limit)
