import type { FC } from 'hono/jsx'
import type { PlanLimits } from '../../db/schema'

export const formatNumber = (n: number) => n.toLocaleString('en-US')

const UsageMeter: FC<{ label: string; used: number; limit?: number }> = ({ label, used, limit }) => {
  const percent = limit ? Math.min(100, Math.round((used / Math.max(limit, 1)) * 100)) : 0
  return (
    <div class="card">
      <h3>{label}</h3>
      <p>
        <strong>{formatNumber(used)}</strong>
        <span class="muted"> {limit === undefined ? 'used (no limit)' : `of ${formatNumber(limit)}`}</span>
      </p>
      {limit === undefined ? null : (
        <progress
          max={100}
          value={percent}
          class={used >= limit ? 'full' : undefined}
          aria-label={`${label}: ${percent}% of the plan`}
        >
          {percent}%
        </progress>
      )}
    </div>
  )
}

/** This period's usage and the customer's counts against the plan's limits. */
export const UsageMeters: FC<{
  usage: { messages: number; tokens: number }
  agents: number
  knowledgeBases: number
  limits: PlanLimits
}> = ({ usage, agents, knowledgeBases, limits }) => (
  <div class="grid">
    <UsageMeter label="Messages" used={usage.messages} limit={limits.messages} />
    <UsageMeter label="Tokens" used={usage.tokens} limit={limits.tokens} />
    <UsageMeter label="Agents" used={agents} limit={limits.agents} />
    <UsageMeter label="Knowledge bases" used={knowledgeBases} limit={limits.knowledge_bases} />
  </div>
)
