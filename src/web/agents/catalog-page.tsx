import type { FC } from 'hono/jsx'
import type { AgentType } from '../../agents/onboarding/session'

export const CatalogPage: FC<{ types: AgentType[]; inProgress: Set<string>; welcome?: boolean }> = ({
  types,
  inProgress,
  welcome,
}) => (
  <>
    {welcome ? (
      <div class="notice ok" role="status">
        <p>
          <strong>Welcome to EchoForge Hub!</strong> Your free trial has started. Set up your first agent below.
        </p>
      </div>
    ) : null}
    <h1>Choose an agent type</h1>
    <p class="muted">Each type comes with its own setup questions. You can change the answers later.</p>
    {types.length === 0 ? <p>No agent types are available yet.</p> : null}
    <div class="grid">
      {types.map((t) => (
        <article class="card">
          <h2>{t.name}</h2>
          <p class="muted">{t.description}</p>
          <a class="button" href={`/agents/onboarding/${encodeURIComponent(t.slug)}`}>
            {inProgress.has(t.id) ? 'Continue setup' : 'Start setup'}
          </a>
        </article>
      ))}
    </div>
  </>
)
