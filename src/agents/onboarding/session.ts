import { and, eq } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { agentTypes, onboardingSessions } from '../../db/schema'

export type AgentType = typeof agentTypes.$inferSelect
export type OnboardingSession = typeof onboardingSessions.$inferSelect

/** What the knowledge-base step decided. */
export type KnowledgeBaseChoice = { mode: 'existing'; id: string } | { mode: 'new'; name: string } | { mode: 'none' }

/**
 * Shape of `onboarding_sessions.data`: the validated field values flat (as the spec reads
 * them, `data.agent_name`), plus the wizard's own bookkeeping under `_`-prefixed keys.
 */
export interface SessionData {
  [field: string]: unknown
  /** Steps validated and saved, in the order they were completed. */
  _completed?: string[]
  /** Unvalidated input kept when the user went Back, per step. */
  _drafts?: Record<string, Record<string, string>>
  _knowledge_base?: KnowledgeBaseChoice
}

export async function activeAgentType(db: Executor, slug: string): Promise<AgentType | null> {
  if (slug.length > 100) return null
  const [type] = await db
    .select()
    .from(agentTypes)
    .where(and(eq(agentTypes.slug, slug), eq(agentTypes.isActive, true)))
    .limit(1)
  return type ?? null
}

export async function activeAgentTypes(db: Executor): Promise<AgentType[]> {
  return db.select().from(agentTypes).where(eq(agentTypes.isActive, true)).orderBy(agentTypes.name)
}

/** The agent type an agent was created from, active or not (an agent outlives its type's retirement). */
export async function agentTypeById(db: Executor, agentTypeId: string): Promise<AgentType | null> {
  const [type] = await db.select().from(agentTypes).where(eq(agentTypes.id, agentTypeId)).limit(1)
  return type ?? null
}

/** The agent types the customer has started setting up and not finished. */
export async function agentTypesInProgress(db: Executor, customerId: string): Promise<Set<string>> {
  const sessions = await db
    .select({ agentTypeId: onboardingSessions.agentTypeId })
    .from(onboardingSessions)
    .where(and(eq(onboardingSessions.customerId, customerId), eq(onboardingSessions.status, 'in_progress')))
  return new Set(sessions.map((s) => s.agentTypeId))
}

const inProgress = (customerId: string, agentTypeId: string) =>
  and(
    eq(onboardingSessions.customerId, customerId),
    eq(onboardingSessions.agentTypeId, agentTypeId),
    eq(onboardingSessions.status, 'in_progress'),
  )

/** The customer's in-progress session for this agent type, created when there is none (at most one exists). */
export async function startOrResume(
  db: Executor,
  input: { customerId: string; userId: string; agentTypeId: string; firstStep: string | null },
): Promise<OnboardingSession> {
  const [existing] = await db.select().from(onboardingSessions).where(inProgress(input.customerId, input.agentTypeId))
  if (existing) return existing
  const [created] = await db
    .insert(onboardingSessions)
    .values({
      customerId: input.customerId,
      agentTypeId: input.agentTypeId,
      userId: input.userId,
      status: 'in_progress',
      currentStep: input.firstStep,
      data: {},
    })
    .onConflictDoNothing()
    .returning()
  if (created) return created
  // Another request created it at the same moment.
  const [raced] = await db.select().from(onboardingSessions).where(inProgress(input.customerId, input.agentTypeId))
  if (!raced) throw new Error('onboarding session vanished')
  return raced
}

export async function saveSessionData(db: Executor, sessionId: string, data: SessionData, currentStep: string | null) {
  await db
    .update(onboardingSessions)
    .set({ data, currentStep })
    .where(and(eq(onboardingSessions.id, sessionId), eq(onboardingSessions.status, 'in_progress')))
}
