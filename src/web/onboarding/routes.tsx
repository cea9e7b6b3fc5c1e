import { type Context, Hono } from 'hono'
import { completeOnboarding } from '../../agents/onboarding/complete'
import { knowledgeBaseOptions } from '../../agents/onboarding/knowledge-base-step'
import { parseWizard, type WizardStep } from '../../agents/onboarding/schema'
import { activeAgentType, startOrResume } from '../../agents/onboarding/session'
import {
  completedSteps,
  currentStep,
  findStep,
  firstIncompleteStep,
  formValuesFor,
  goBack,
  isReachable,
  submitStep,
  type WizardState,
} from '../../agents/onboarding/wizard'
import { assertWithinPlanLimit } from '../../billing/rules/plan-limits'
import { NotFound, PlanLimitReached } from '../../errors'
import type { HonoEnv } from '../../types'
import { csrfTokenOf } from '../shared/csrf'
import { field, isHtmx, readForm } from '../shared/forms'
import { requireCustomer, signedIn } from '../shared/session'
import { AgentCreatedPage, PlanLimitPage, SchemaErrorPage, WizardPage } from './pages'

const wizardUrl = (slug: string, step?: string) =>
  `/agents/onboarding/${encodeURIComponent(slug)}${step ? `?step=${encodeURIComponent(step)}` : ''}`

/** The agent type's wizard and the customer's in-progress session, or the page that explains why not. */
async function openWizard(c: Context<HonoEnv>): Promise<WizardState | Response> {
  const { db } = c.var.services.database
  const { customer, session } = signedIn(c)
  const type = await activeAgentType(db, c.req.param('slug') ?? '')
  if (!type) throw new NotFound('Agent type')
  const parsed = parseWizard(type.onboardingSchema)
  if (!parsed.ok) {
    c.var.services.logger.warn('malformed onboarding schema', { agent_type: type.slug, problems: parsed.problems })
    c.status(500)
    return c.render(<SchemaErrorPage typeName={type.name} problems={parsed.problems} />, {
      title: 'Setup unavailable',
      active: 'agents',
    })
  }
  const onboarding = await startOrResume(db, {
    customerId: customer.id,
    userId: session.user.id,
    agentTypeId: type.id,
    firstStep: parsed.wizard.steps[0]?.id ?? null,
  })
  return { customerId: customer.id, type, wizard: parsed.wizard, session: onboarding }
}

async function renderStep(
  c: Context<HonoEnv>,
  state: WizardState,
  step: WizardStep,
  input: { values?: Record<string, string>; errors?: Record<string, string> } = {},
) {
  const knowledgeBases =
    step.kind === 'knowledge_base' ? await knowledgeBaseOptions(c.var.services.database.db, state.customerId) : []
  if (isHtmx(c) && c.req.method === 'GET') c.header('HX-Push-Url', wizardUrl(state.type.slug, step.id))
  return c.render(
    <WizardPage
      typeName={state.type.name}
      slug={state.type.slug}
      steps={state.wizard.steps}
      current={step}
      done={completedSteps(state)}
      values={input.values ?? formValuesFor(state, step)}
      errors={input.errors ?? {}}
      knowledgeBases={knowledgeBases}
      csrfToken={csrfTokenOf(c)}
    />,
    { title: `${step.title} · ${state.type.name}`, active: 'agents' },
  )
}

function limitPage(c: Context<HonoEnv>, error: PlanLimitReached) {
  c.status(403)
  return c.render(<PlanLimitPage message={error.message} />, { title: 'Plan limit reached', active: 'agents' })
}

async function finish(c: Context<HonoEnv>, state: WizardState) {
  let result: Awaited<ReturnType<typeof completeOnboarding>>
  try {
    result = await completeOnboarding(c.var.services.database.db, state)
  } catch (error) {
    if (error instanceof PlanLimitReached) return limitPage(c, error)
    // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
    throw error
  }
  if (!result.ok) return renderStep(c, state, result.step, { values: result.values, errors: result.errors })
  c.header('Cache-Control', 'no-store')
  return c.render(<AgentCreatedPage agentId={result.agent.id} agentName={result.agent.name} apiKey={result.apiKey} />, {
    title: 'Agent created',
    active: 'agents',
  })
}

export const onboardingRoutes = new Hono<HonoEnv>()
  .get('/agents/onboarding/:slug', requireCustomer(), async (c) => {
    const state = await openWizard(c)
    if (state instanceof Response) return state
    try {
      await assertWithinPlanLimit(c.var.services.database.db, state.customerId, 'agents')
    } catch (error) {
      if (error instanceof PlanLimitReached) return limitPage(c, error)
      // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
      throw error
    }
    const requested = findStep(state.wizard, c.req.query('step') ?? '')
    const step = requested && isReachable(state, requested) ? requested : currentStep(state)
    return renderStep(c, state, step)
  })
  .post('/agents/onboarding/:slug/step/:stepId', requireCustomer(), async (c) => {
    const state = await openWizard(c)
    if (state instanceof Response) return state
    const step = findStep(state.wizard, c.req.param('stepId'))
    if (!step) throw new NotFound('Step')
    const form = await readForm(c)
    const { db } = c.var.services.database
    if (field(form, '_action') === 'back') {
      const previous = await goBack(db, state, step, form)
      return c.redirect(wizardUrl(state.type.slug, previous.id), 303)
    }
    if (!isReachable(state, step)) {
      return c.redirect(wizardUrl(state.type.slug, firstIncompleteStep(state)?.id), 303)
    }
    const outcome = await submitStep(db, state, step, form)
    if (outcome.kind === 'invalid') return renderStep(c, state, step, outcome)
    if (outcome.kind === 'next') return c.redirect(wizardUrl(state.type.slug, outcome.step.id), 303)
    return finish(c, state)
  })
  .post('/agents/onboarding/:slug/complete', requireCustomer(), async (c) => {
    const state = await openWizard(c)
    if (state instanceof Response) return state
    return finish(c, state)
  })
