import type { FC } from 'hono/jsx'
import type { AgentInstance } from '../../agents/manage'
import type { FieldSpec } from '../../agents/onboarding/schema'
import { isBillingDisabledReason } from '../../billing/rules/agent-reactivation'
import { SchemaField } from '../shared/field'
import { KeyReveal } from '../shared/key-reveal'
import { CsrfField } from '../shared/layout'

export interface AgentPageProps {
  agent: AgentInstance
  typeName: string
  knowledgeBase: { id: string; name: string } | null
  fields: FieldSpec[] | null
  embedDomains: string
  values: Record<string, string>
  errors: Record<string, string>
  csrfToken: string
  notice?: string
  /** Why the last action was refused. */
  problem?: string
  newApiKey?: string
}

const reasons: Record<string, string> = {
  manual: 'switched off by you',
  grace_expired: 'switched off because the grace period ended',
  trial_expired: 'switched off because the trial ended',
}

export const AgentPage: FC<AgentPageProps> = (p) => {
  const base = `/agents/${p.agent.id}`
  const offByBilling = !p.agent.isActive && isBillingDisabledReason(p.agent.disabledReason)
  return (
    <div id="agent">
      <p class="muted small">
        <a href="/dashboard">Dashboard</a> / {p.typeName}
      </p>
      <div class="spread">
        <h1>{p.agent.name}</h1>
        <span class={`badge ${p.agent.isActive ? 'active' : 'inactive'}`}>
          {p.agent.isActive ? 'Active' : 'Inactive'}
        </span>
      </div>
      {p.notice ? (
        <div class="notice ok" role="status">
          <p>{p.notice}</p>
        </div>
      ) : null}
      {p.problem ? (
        <div class="notice bad" role="alert">
          <p>
            {p.problem} <a href="/billing">Go to billing</a>
          </p>
        </div>
      ) : null}
      {p.newApiKey ? <KeyReveal apiKey={p.newApiKey} /> : null}

      <section class="card" id="agent-status">
        <h2>Status and key</h2>
        <p>
          {p.agent.isActive
            ? 'This agent answers messages.'
            : `This agent does not answer messages (${reasons[p.agent.disabledReason ?? 'manual'] ?? 'switched off'}).`}
        </p>
        <p>
          API key prefix: <code>{p.agent.apiKeyPrefix}</code>
        </p>
        <p>Knowledge base: {p.knowledgeBase ? p.knowledgeBase.name : <span class="muted">none</span>}</p>
        {offByBilling ? (
          <p>
            It comes back on by itself as soon as billing allows it again. <a href="/billing">Go to billing</a>
          </p>
        ) : null}
        <div class="actions">
          {offByBilling ? null : (
            <form method="post" action={`${base}/${p.agent.isActive ? 'deactivate' : 'activate'}`} class="inline">
              <CsrfField token={p.csrfToken} />
              <button type="submit" class={p.agent.isActive ? 'secondary' : undefined}>
                {p.agent.isActive ? 'Deactivate' : 'Activate'}
              </button>
            </form>
          )}
          <form method="post" action={`${base}/rotate-key`} class="inline">
            <CsrfField token={p.csrfToken} />
            <button type="submit" class="danger">
              Rotate API key
            </button>
          </form>
        </div>
        <p class="help small muted">Rotating issues a new key and stops the current one at once.</p>
      </section>

      <section class="card">
        <h2>Configuration</h2>
        {p.fields ? (
          <form method="post" action={`${base}/configuration`} novalidate>
            <CsrfField token={p.csrfToken} />
            {p.fields.map((f) => (
              <SchemaField field={f} value={p.values[f.name]} error={p.errors[f.name]} />
            ))}
            <div class="actions">
              <button type="submit">Save configuration</button>
            </div>
          </form>
        ) : (
          <p class="notice warn">
            This agent type's setup questions are not configured correctly; editing is unavailable.
          </p>
        )}
      </section>

      <section class="card">
        <h2>Embed domains</h2>
        <p class="muted">Sites allowed to embed this agent, one per line (e.g. example.com or *.example.com).</p>
        <form method="post" action={`${base}/domains`} novalidate>
          <CsrfField token={p.csrfToken} />
          <div class={`field${p.errors.embed_domains ? ' invalid' : ''}`}>
            <label for="field-embed_domains">Domains</label>
            <textarea id="field-embed_domains" name="embed_domains" rows={4}>
              {p.embedDomains}
            </textarea>
            {p.errors.embed_domains ? <p class="error">{p.errors.embed_domains}</p> : null}
          </div>
          <div class="actions">
            <button type="submit">Save domains</button>
          </div>
        </form>
      </section>
    </div>
  )
}
