import type { Executor } from '../../db/client'
import { validateKnowledgeBaseStep } from './knowledge-base-step'
import type { Wizard, WizardStep } from './schema'
import { type AgentType, type OnboardingSession, type SessionData, saveSessionData } from './session'
import { asForm, type SubmittedForm, validateFields } from './validate'

/** One agent type's wizard and the customer's in-progress session for it. */
export interface WizardState {
  customerId: string
  type: AgentType
  wizard: Wizard
  session: OnboardingSession
}

export const sessionData = (state: WizardState) => state.session.data as SessionData
export const completedSteps = (state: WizardState) => new Set(sessionData(state)._completed ?? [])

export const findStep = (wizard: Wizard, id: string) => wizard.steps.find((s) => s.id === id) ?? null

/** The first step not yet completed, or null when every step is. */
export function firstIncompleteStep(state: WizardState): WizardStep | null {
  const done = completedSteps(state)
  return state.wizard.steps.find((s) => !done.has(s.id)) ?? null
}

/** The step to show when the wizard is opened: where the user left off. */
export function currentStep(state: WizardState): WizardStep {
  const saved = state.session.currentStep ? findStep(state.wizard, state.session.currentStep) : null
  return saved ?? firstIncompleteStep(state) ?? state.wizard.steps.at(-1)!
}

/** Whether the user may open this step now: every step before it is completed. */
export function isReachable(state: WizardState, step: WizardStep): boolean {
  const done = completedSteps(state)
  const index = state.wizard.steps.indexOf(step)
  return state.wizard.steps.slice(0, index).every((s) => done.has(s.id))
}

/** Values to show in a step's form: what was typed before going Back, else what was saved, else defaults. */
export function formValuesFor(state: WizardState, step: WizardStep): Record<string, string> {
  const data = sessionData(state)
  const draft = data._drafts?.[step.id]
  if (draft) return draft
  if (step.kind === 'knowledge_base') {
    const choice = data._knowledge_base
    if (!choice) return {}
    if (choice.mode === 'existing') return { kb_choice: 'existing', kb_id: choice.id }
    if (choice.mode === 'new') return { kb_choice: 'new', kb_name: choice.name }
    return { kb_choice: 'none' }
  }
  const saved = asForm(step.fields, data)
  const values: Record<string, string> = {}
  const visited = completedSteps(state).has(step.id)
  for (const f of step.fields) {
    const v = saved[f.name]
    if (v !== undefined) values[f.name] = Array.isArray(v) ? (v.at(-1) ?? '') : v
    else if (!visited && f.default !== undefined && f.default !== false) {
      values[f.name] = f.default === true ? 'on' : String(f.default)
    }
  }
  return values
}

export type StepOutcome =
  | { kind: 'invalid'; step: WizardStep; errors: Record<string, string>; values: Record<string, string> }
  | { kind: 'next'; step: WizardStep }
  | { kind: 'finished' }

function withoutDraft(data: SessionData, stepId: string): SessionData {
  if (!data._drafts?.[stepId]) return data
  const { [stepId]: _dropped, ...drafts } = data._drafts
  return { ...data, _drafts: drafts }
}

/** Validates a step; valid data is saved to the session and the wizard moves on (or is finished). */
export async function submitStep(
  db: Executor,
  state: WizardState,
  step: WizardStep,
  form: SubmittedForm,
): Promise<StepOutcome> {
  let data = sessionData(state)
  if (step.kind === 'fields') {
    const checked = validateFields(step.fields, form)
    if (Object.keys(checked.errors).length > 0) {
      return { kind: 'invalid', step, errors: checked.errors, values: checked.raw }
    }
    const cleared = Object.fromEntries(step.fields.map((f) => [f.name, undefined]))
    data = { ...data, ...cleared, ...checked.values }
    for (const key of Object.keys(cleared)) if (data[key] === undefined) delete data[key]
  } else {
    const checked = await validateKnowledgeBaseStep(db, state.customerId, step.spec, form)
    if (!checked.ok) return { kind: 'invalid', step, errors: checked.errors, values: checked.raw }
    data = { ...data, _knowledge_base: checked.choice }
  }
  const completed = new Set(data._completed ?? [])
  completed.add(step.id)
  data = withoutDraft(
    { ...data, _completed: state.wizard.steps.map((s) => s.id).filter((id) => completed.has(id)) },
    step.id,
  )
  const following = state.wizard.steps[state.wizard.steps.indexOf(step) + 1] ?? null
  await saveSessionData(db, state.session.id, data, following?.id ?? step.id)
  state.session = { ...state.session, data, currentStep: following?.id ?? step.id }
  if (following) return { kind: 'next', step: following }
  const pending = firstIncompleteStep(state)
  return pending ? { kind: 'next', step: pending } : { kind: 'finished' }
}

/** Back: keeps what was typed in this step (unvalidated, as a draft) and returns the previous step. */
export async function goBack(
  db: Executor,
  state: WizardState,
  step: WizardStep,
  form: SubmittedForm,
): Promise<WizardStep> {
  const index = state.wizard.steps.indexOf(step)
  const previous = state.wizard.steps[Math.max(0, index - 1)]!
  const names = step.kind === 'fields' ? step.fields.map((f) => f.name) : ['kb_choice', 'kb_id', 'kb_name']
  const draft: Record<string, string> = {}
  for (const name of names) {
    const v = form[name]
    const value = Array.isArray(v) ? v.at(-1) : v
    if (value !== undefined) draft[name] = value.slice(0, 10_000)
  }
  const data = sessionData(state)
  const next: SessionData = { ...data, _drafts: { ...(data._drafts ?? {}), [step.id]: draft } }
  await saveSessionData(db, state.session.id, next, previous.id)
  state.session = { ...state.session, data: next, currentStep: previous.id }
  return previous
}
