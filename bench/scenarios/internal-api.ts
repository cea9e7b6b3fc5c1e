// Internal API under load: the four calls the agent runtime makes on every chat message.
import { randomUUID } from 'node:crypto'
import { internalAuth as auth, benchAgent } from '../fixtures.ts'
import { type BenchContext, effect, type HttpRequestSpec, type HttpScenario } from '../types.ts'

const REPORTS_PER_BATCH = 100

/** One more request like the measured ones, its JSON answer (the benchmark checks it is right). */
async function answer(ctx: BenchContext, path: string, headers: Record<string, string>) {
  const res = await fetch(`${ctx.baseUrl}${path}`, { headers })
  return (await res.json()) as Record<string, unknown>
}

const json = (value: unknown) => JSON.stringify(value).slice(0, 120)

export const internalApiScenarios: HttpScenario[] = [
  {
    name: 'internal: GET /agent/validate-key',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { apiKey, agentId } = await benchAgent(ctx)
      const headers = { ...auth(ctx), 'X-API-Key': apiKey }
      return {
        path: '/api/internal/agent/validate-key',
        headers,
        verify: async () => {
          const body = await answer(ctx, '/api/internal/agent/validate-key', headers)
          return [
            effect(
              'the key is valid, for its agent',
              body.valid === true && body.agent_instance_id === agentId,
              json(body),
            ),
          ]
        },
      }
    },
  },
  {
    name: 'internal: GET /agent/{id}/config',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { agentId } = await benchAgent(ctx)
      const path = `/api/internal/agent/${agentId}/config`
      return {
        path,
        headers: auth(ctx, agentId),
        verify: async () => {
          const body = await answer(ctx, path, auth(ctx, agentId))
          const identity = body.identity as { name?: string } | undefined
          const ok = body.agent_id === agentId && identity?.name === 'Ada' && String(body.system_prompt).includes('Ada')
          return [effect("the agent's config, its prompt filled in", ok, String(body.system_prompt).slice(0, 80))]
        },
      }
    },
  },
  {
    name: 'internal: GET /billing/can-respond/{id}',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { agentId } = await benchAgent(ctx)
      const path = `/api/internal/billing/can-respond/${agentId}`
      return {
        path,
        headers: auth(ctx, agentId),
        verify: async () => {
          const body = await answer(ctx, path, auth(ctx, agentId))
          return [effect('allowed (unlimited plan)', body.allowed === true, json(body))]
        },
      }
    },
  },
  {
    name: `internal: POST /usage/batch (${REPORTS_PER_BATCH} reports)`,
    async setup(ctx): Promise<HttpRequestSpec> {
      const { agentId } = await benchAgent(ctx)
      return {
        method: 'POST',
        path: '/api/internal/usage/batch',
        headers: auth(ctx),
        body: () =>
          JSON.stringify({
            reports: Array.from({ length: REPORTS_PER_BATCH }, () => ({
              agent_instance_id: agentId,
              timestamp: new Date().toISOString(),
              metrics: { messages: 1, input_tokens: 150, output_tokens: 320 },
              request_id: randomUUID(),
            })),
          }),
        unitsPerRequest: REPORTS_PER_BATCH,
        unitName: 'reports',
        // Every report has its own request_id, so each answered batch adds 100 messages; batches
        // still in flight when autocannon stopped counting may have been ingested too.
        verify: async ({ answered, sent }) => {
          const [row] = await ctx.sql`
            SELECT coalesce(sum(messages), 0)::int AS messages FROM usage_records WHERE agent_instance_id = ${agentId}`
          const messages = Number(row?.messages ?? 0)
          const low = answered * REPORTS_PER_BATCH
          const high = sent * REPORTS_PER_BATCH
          return [
            effect(
              'messages recorded (answered batches x 100 .. sent x 100)',
              messages >= low && messages <= high,
              `${messages} (${low} .. ${high})`,
            ),
          ]
        },
      }
    },
  },
]
