import { and, eq, sql } from 'drizzle-orm'
import { assertWithinPlanLimit } from '../../billing/rules/plan-limits'
import type { Executor } from '../../db/client'
import { agentInstances, knowledgeBases, onboardingSessions } from '../../db/schema'
import { Conflict } from '../../errors'
import { issueApiKey } from '../api-keys'
import { allFields, type WizardStep } from './schema'
import type { SessionData } from './session'
import { asForm, validateFields } from './validate'
import { sessionData, type WizardState } from './wizard'

export type AgentInstance = typeof agentInstances.$inferSelect

export type CompletionResult =
  | { ok: true; agent: AgentInstance; apiKey: string }
  | { ok: false; step: WizardStep; errors: Record<string, string>; values: Record<string, string> }

const NAME_FIELDS = ['agent_name', 'name'] as const

/** The agent's configuration: every schema field's saved value, nothing of the wizard's bookkeeping. */
export function configurationFrom(state: WizardState): Record<string, unknown> {
  const data = sessionData(state)
  const configuration: Record<string, unknown> = {}
  for (const f of allFields(state.wizard)) if (data[f.name] !== undefined) configuration[f.name] = data[f.name]
  return configuration
}

function agentNameFrom(state: WizardState): string {
  const data = sessionData(state)
  for (const key of NAME_FIELDS) {
    const value = data[key]
    if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 100)
  }
  return state.type.name
}

/** Re-checks every step against the saved data: the first step that is not complete, with its errors. */
function incompleteStep(state: WizardState): Exclude<CompletionResult, { ok: true }> | null {
  const data = sessionData(state)
  for (const step of state.wizard.steps) {
    if (step.kind === 'fields') {
      const saved = asForm(step.fields, data)
      const checked = validateFields(step.fields, saved)
      const skipped = !(data._completed ?? []).includes(step.id) && step.fields.some((f) => f.required)
      if (Object.keys(checked.errors).length > 0 || skipped) {
        return { ok: false, step, errors: checked.errors, values: checked.raw }
      }
    } else {
      const choice = data._knowledge_base
      if ((!choice || choice.mode === 'none') && step.spec.required) {
        return {
          ok: false,
          step,
          errors: { kb_choice: 'This agent needs a knowledge base: choose one or create a new one' },
          values: {},
        }
      }
    }
  }
  return null
}

/**
 * Creates the agent from the session: configuration from the collected data, the chosen or a
 * new knowledge base, a fresh API key (returned once, only its hash stored). Plan limits on
 * agents and knowledge bases are checked inside the transaction (PlanLimitReached); the
 * customer row is locked so two completions cannot both squeeze in.
 */
export async function completeOnboarding(db: Executor, state: WizardState): Promise<CompletionResult> {
  const problem = incompleteStep(state)
  if (problem) return problem
  const data = sessionData(state)
  const choice = data._knowledge_base
  const issued = await issueApiKey()

  const agent = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT id FROM customers WHERE id = ${state.customerId} FOR UPDATE`)
    const [session] = await tx
      .select({ id: onboardingSessions.id })
      .from(onboardingSessions)
      .where(and(eq(onboardingSessions.id, state.session.id), eq(onboardingSessions.status, 'in_progress')))
    if (!session)
      throw new Conflict('This agent was already created. Find it on your dashboard.', {
        nextStep: { label: 'Go to your dashboard', href: '/dashboard' },
      })
    await assertWithinPlanLimit(tx, state.customerId, 'agents')

    let knowledgeBaseId: string | null = null
    if (choice?.mode === 'new') {
      await assertWithinPlanLimit(tx, state.customerId, 'knowledge_bases')
      const [kb] = await tx
        .insert(knowledgeBases)
        .values({ customerId: state.customerId, name: choice.name })
        .returning({ id: knowledgeBases.id })
      knowledgeBaseId = kb!.id
    } else if (choice?.mode === 'existing') {
      const [kb] = await tx
        .select({ id: knowledgeBases.id })
        .from(knowledgeBases)
        .where(and(eq(knowledgeBases.id, choice.id), eq(knowledgeBases.customerId, state.customerId)))
      if (!kb) throw new Conflict('The chosen knowledge base no longer exists. Choose another one.')
      knowledgeBaseId = kb.id
    }

    const [created] = await tx
      .insert(agentInstances)
      .values({
        customerId: state.customerId,
        agentTypeId: state.type.id,
        name: agentNameFrom(state),
        configuration: configurationFrom(state),
        knowledgeBaseId,
        isActive: true,
        apiKeyPrefix: issued.prefix,
        apiKeyHash: issued.hash,
      })
      .returning()
    const finished: SessionData = { ...data, _drafts: undefined }
    delete finished._drafts
    await tx
      .update(onboardingSessions)
      .set({ status: 'completed', completedAt: new Date(), agentInstanceId: created!.id, data: finished })
      .where(eq(onboardingSessions.id, state.session.id))
    return created!
  })
  return { ok: true, agent, apiKey: issued.key }
}
