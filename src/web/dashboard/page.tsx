import type { FC } from 'hono/jsx'
import type { Dashboard } from '../../customers/dashboard'
import { PlanBanners } from '../shared/banners'
import { formatNumber, UsageMeters } from '../shared/usage-meters'

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
      <h2>Usage this period</h2>
      <UsageMeters usage={usage} agents={agents.length} knowledgeBases={knowledgeBases.length} limits={limits} />

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
                  <td>{formatNumber(a.messages)}</td>
                  <td>{formatNumber(a.tokens)}</td>
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
