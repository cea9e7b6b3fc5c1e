import type { Child, FC } from 'hono/jsx'
import type { KnowledgeBaseOption } from '../../agents/onboarding/knowledge-base-step'
import type { KnowledgeBaseSpec, WizardStep } from '../../agents/onboarding/schema'
import { SchemaField } from '../shared/field'
import { KeyReveal } from '../shared/key-reveal'
import { CsrfField } from '../shared/layout'

export interface WizardProps {
  typeName: string
  slug: string
  steps: WizardStep[]
  current: WizardStep
  done: Set<string>
  values: Record<string, string>
  errors: Record<string, string>
  knowledgeBases: KnowledgeBaseOption[]
  csrfToken: string
}

const Progress: FC<{ steps: WizardStep[]; current: WizardStep; done: Set<string> }> = ({ steps, current, done }) => (
  <nav aria-label="Setup progress">
    <p class="muted small">
      Step {steps.indexOf(current) + 1} of {steps.length}
    </p>
    <ol class="steps">
      {steps.map((s) => (
        <li
          class={done.has(s.id) && s !== current ? 'done' : undefined}
          aria-current={s === current ? 'step' : undefined}
        >
          {s.title}
        </li>
      ))}
    </ol>
  </nav>
)

type KnowledgeBaseChoiceValue = 'existing' | 'new' | 'none'

/** One way to answer the knowledge-base question: its radio button, and the field it needs. */
const KnowledgeBaseChoice: FC<{
  value: KnowledgeBaseChoiceValue
  choice: string
  label: string
  children?: Child
}> = ({ value, choice, label, children }) => (
  <div class="kb-choice">
    <label>
      <input type="radio" name="kb_choice" value={value} checked={choice === value} />
      {label}
    </label>
    {children}
  </div>
)

const KnowledgeBaseFields: FC<{
  spec: KnowledgeBaseSpec
  options: KnowledgeBaseOption[]
  values: Record<string, string>
  errors: Record<string, string>
}> = ({ spec, options, values, errors }) => {
  const canUseExisting = spec.allow_existing && options.length > 0
  const fallback = spec.allow_create_new ? 'new' : canUseExisting ? 'existing' : 'none'
  const choice = values.kb_choice || fallback
  return (
    <fieldset class={errors.kb_choice ? 'field invalid' : 'field'}>
      <legend>Which knowledge base should this agent answer from?</legend>
      {canUseExisting ? (
        <KnowledgeBaseChoice value="existing" choice={choice} label="Use an existing knowledge base">
          <div class={`field${errors.kb_id ? ' invalid' : ''}`}>
            <label for="field-kb_id">Knowledge base</label>
            <select id="field-kb_id" name="kb_id">
              {options.map((o) => (
                <option value={o.id} selected={o.id === values.kb_id}>
                  {o.name}
                </option>
              ))}
            </select>
            {errors.kb_id ? <p class="error">{errors.kb_id}</p> : null}
          </div>
        </KnowledgeBaseChoice>
      ) : null}
      {spec.allow_create_new ? (
        <KnowledgeBaseChoice value="new" choice={choice} label="Create a new knowledge base">
          <div class={`field${errors.kb_name ? ' invalid' : ''}`}>
            <label for="field-kb_name">Name</label>
            <input
              id="field-kb_name"
              name="kb_name"
              type="text"
              maxlength={100}
              value={values.kb_name ?? ''}
              placeholder="e.g. Help center articles"
            />
            {errors.kb_name ? <p class="error">{errors.kb_name}</p> : null}
            <p class="help">You can upload documents to it after the agent is created.</p>
          </div>
        </KnowledgeBaseChoice>
      ) : null}
      {spec.required ? null : (
        <KnowledgeBaseChoice value="none" choice={choice} label="No knowledge base for now (optional)" />
      )}
      {errors.kb_choice ? <p class="error">{errors.kb_choice}</p> : null}
    </fieldset>
  )
}

/** Where the wizard leaves the customer: the way onward as the main button, the dashboard beside it. */
const OnwardOrDashboard: FC<{ href: string; label: string }> = ({ href, label }) => (
  <div class="actions">
    <a class="button" href={href}>
      {label}
    </a>
    <a class="button secondary" href="/dashboard">
      Dashboard
    </a>
  </div>
)

/** One wizard step; the form posts to the step's URL and works the same with or without HTMX. */
export const WizardPage: FC<WizardProps> = (p) => {
  const index = p.steps.indexOf(p.current)
  const isLast = index === p.steps.length - 1
  const action = `/agents/onboarding/${encodeURIComponent(p.slug)}/step/${encodeURIComponent(p.current.id)}`
  const hasErrors = Object.keys(p.errors).length > 0
  return (
    <section id="wizard" class="card">
      <p class="muted small">Set up a {p.typeName} agent</p>
      <Progress steps={p.steps} current={p.current} done={p.done} />
      <h1>{p.current.title}</h1>
      {p.current.description ? <p class="muted">{p.current.description}</p> : null}
      {hasErrors ? (
        <div class="notice bad" role="alert">
          <p>Please fix the fields marked below.</p>
        </div>
      ) : null}
      <form
        method="post"
        action={action}
        novalidate
        hx-post={action}
        hx-target="#wizard"
        hx-select="#wizard"
        hx-swap="outerHTML"
      >
        <CsrfField token={p.csrfToken} />
        {p.current.kind === 'fields' ? (
          p.current.fields.map((f) => <SchemaField field={f} value={p.values[f.name]} error={p.errors[f.name]} />)
        ) : (
          <KnowledgeBaseFields spec={p.current.spec} options={p.knowledgeBases} values={p.values} errors={p.errors} />
        )}
        <div class="actions">
          {/* Continue comes first so that Enter in a field submits it, not Back; CSS puts Back on the left. */}
          <button type="submit" name="_action" value="next" class="push">
            {isLast ? 'Create agent' : 'Continue'}
          </button>
          {index > 0 ? (
            <button type="submit" name="_action" value="back" class="secondary back">
              Back
            </button>
          ) : (
            <a href="/agents/new" class="button secondary back">
              Cancel
            </a>
          )}
        </div>
      </form>
    </section>
  )
}

export const AgentCreatedPage: FC<{ agentId: string; agentName: string; apiKey: string }> = ({
  agentId,
  agentName,
  apiKey,
}) => (
  <section id="wizard">
    <h1>{agentName} is ready</h1>
    <p>Your agent was created and is active. Connect it to your site with its API key.</p>
    <KeyReveal apiKey={apiKey} />
    <OnwardOrDashboard href={`/agents/${agentId}`} label="Go to the agent" />
  </section>
)

export const SchemaErrorPage: FC<{ typeName: string; problems: string[] }> = ({ typeName, problems }) => (
  <section class="card">
    <h1>This agent type cannot be set up right now</h1>
    <p>
      The setup questions for <strong>{typeName}</strong> are not configured correctly, so the wizard cannot show them.
      Nothing was saved. Please try another agent type, or contact support and mention the problems below.
    </p>
    <ul class="small">
      {problems.slice(0, 10).map((problem) => (
        <li>
          <code>{problem}</code>
        </li>
      ))}
    </ul>
    <p>
      <a href="/agents/new">Back to agent types</a>
    </p>
  </section>
)

export const PlanLimitPage: FC<{ message: string }> = ({ message }) => (
  <section id="wizard" class="card">
    <h1>Your plan's limit is reached</h1>
    <div class="notice warn" role="alert">
      <p>{message}</p>
    </div>
    <p>Once you have upgraded, come back here to finish the setup: answers you already gave are kept.</p>
    <OnwardOrDashboard href="/billing" label="Upgrade your plan" />
  </section>
)
