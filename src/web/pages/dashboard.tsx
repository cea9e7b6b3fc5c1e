import type { FC } from 'hono/jsx'
import type { Dashboard } from '../../customers/dashboard'
import { PlanBanners } from '../components/banners'

const number = (n: number) => n.toLocaleString('en-US')

const Meter: FC<{ label: string; used: number; limit?: number }> = ({ label, used, limit }) => {
  const percent = limit ? Math.min(100, Math.round((used / Math.max(limit, 1)) * 100)) : 0
  return (
    <div class="card">
      <h3>{label}</h3>
      <p>
        <strong>{number(used)}</strong>
        <span class="muted"> {limit === undefined ? 'used (no limit)' : `of ${number(limit)}`}</span>
      </p>
      {limit === undefined ? null : (
        <progress
          max={100}
          value={percent}
          class={limit !== undefined && used >= limit ? 'full' : undefined}
          aria-label={`${label}: ${percent}% of the plan`}
        >
          {percent}%
        </progress>
      )}
    </div>
  )
}

export const DashboardPage: FC<{ dashboard: Dashboard }> = ({ dashboard }) => {
  const { plan, agents, knowledgeBases, usage } = dashboard
  const limits = plan?.limits ?? {}
  return (
    <>
      <div class="spread">
        <h1>Dashboard</h1>
        <a class="button" href="/agents/new">
          New agent
        </a>
      </div>
      <PlanBanners plan={plan} gracePeriodEndsAt={dashboard.gracePeriodEndsAt} />
      <p class="muted">
        {plan
          ? `${plan.name} plan · this period ${plan.currentPeriodStart.toISOString().slice(0, 10)} to ${plan.currentPeriodEnd.toISOString().slice(0, 10)}`
          : 'No plan'}
      </p>
      <div class="grid">
        <Meter label="Messages" used={usage.messages} limit={limits.messages} />
        <Meter label="Tokens" used={usage.tokens} limit={limits.tokens} />
        <Meter label="Agents" used={agents.length} limit={limits.agents} />
        <Meter label="Knowledge bases" used={knowledgeBases.length} limit={limits.knowledge_bases} />
      </div>

      <h2>Agents</h2>
      {agents.length === 0 ? (
        <div class="card">
          <p>You have no agents yet.</p>
          <a class="button" href="/agents/new">
            Create your first agent
          </a>
        </div>
      ) : (
        <div class="card">
          <table>
            <thead>
              <tr>
                <th>Agent</th>
                <th>Status</th>
                <th>Key prefix</th>
                <th>Messages</th>
                <th>Tokens</th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => (
                <tr>
                  <td>
                    <a href={`/agents/${a.id}`}>{a.name}</a>
                    <div class="muted small">
                      {a.typeName}
                      {a.knowledgeBaseName ? ` · ${a.knowledgeBaseName}` : ''}
                    </div>
                  </td>
                  <td>
                    <span class={`badge ${a.isActive ? 'active' : 'inactive'}`}>
                      {a.isActive ? 'Active' : 'Inactive'}
                    </span>
                  </td>
                  <td>
                    <code>{a.apiKeyPrefix}</code>
                  </td>
                  <td>{number(a.messages)}</td>
                  <td>{number(a.tokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Knowledge bases</h2>
      <div class="card">
        {knowledgeBases.length === 0 ? (
          <p class="muted">No knowledge bases yet. You can create one while setting up an agent.</p>
        ) : (
          <ul>
            {knowledgeBases.map((kb) => (
              <li>
                <a href={`/knowledge/${kb.id}`}>{kb.name}</a>{' '}
                <span class="muted small">
                  {kb.documents} {kb.documents === 1 ? 'document' : 'documents'}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  )
}
