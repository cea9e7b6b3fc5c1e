// Integrations: the runtime's credentials call (decrypts a Fernet token per request) and raw
// Fernet throughput on WebCrypto (the same src/platform/fernet.ts the Worker runs).
import { randomUUID } from 'node:crypto'
import { createFernet, generateFernetKey } from '../../src/platform/fernet.ts'
import { oncePerRun } from '../fixtures.ts'
import {
  type BenchContext,
  type BenchRow,
  type CustomBenchmark,
  effect,
  type HttpRequestSpec,
  type HttpScenario,
} from '../types.ts'

/** The key bench/run.ts gives the Worker. */
const WORKER_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='

/** A customer's agent and one active integration with Fernet-encrypted tokens. */
const benchIntegration = oncePerRun(async (ctx, tag) => {
  const fernet = createFernet(WORKER_KEY)
  const accessToken = `ya29.${randomUUID()}`
  const [customer] = await ctx.sql`
    INSERT INTO customers (name, slug, email) VALUES (${`Bench int ${tag}`}, ${`bench-int-${tag}`}, ${`int-${tag}@example.com`})
    RETURNING id`
  const [type] = await ctx.sql`
    INSERT INTO agent_types (name, slug, system_prompt_template) VALUES (${`Bench int ${tag}`}, ${`bench-int-${tag}`}, 'x')
    RETURNING id`
  const [agent] = await ctx.sql`
    INSERT INTO agent_instances (customer_id, agent_type_id, name, api_key_prefix, api_key_hash)
    VALUES (${customer!.id}, ${type!.id}, 'Bench agent', ${`efk_int${tag}`}, ${randomUUID()})
    RETURNING id`
  const [provider] = await ctx.sql`
    INSERT INTO integration_providers (name, slug, authorize_url, token_url, client_id)
    VALUES ('Bench provider', ${`bench-provider-${tag}`}, 'https://provider.example/a', 'https://provider.example/t', 'cid')
    RETURNING id`
  const [integration] = await ctx.sql`
    INSERT INTO integrations (customer_id, provider_id, account_id, access_token, refresh_token, token_expires_at)
    VALUES (${customer!.id}, ${provider!.id}, 'bench', ${await fernet.encrypt(accessToken)},
            ${await fernet.encrypt(`1//${randomUUID()}`)}, now() + interval '30 days')
    RETURNING id`
  return { agentId: agent!.id as string, integrationId: integration!.id as string, accessToken }
})

const headers = (ctx: BenchContext, agentId: string) => ({
  Authorization: `Bearer ${ctx.serviceSecret}`,
  'X-Agent-Instance-ID': agentId,
})

export const integrationScenarios: HttpScenario[] = [
  {
    name: 'internal: GET /integrations',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { agentId, integrationId } = await benchIntegration(ctx)
      return {
        path: '/api/internal/integrations',
        headers: headers(ctx, agentId),
        verify: async () => {
          const res = await fetch(`${ctx.baseUrl}/api/internal/integrations`, { headers: headers(ctx, agentId) })
          const body = (await res.json()) as { integrations?: Array<{ id: string; connected: boolean }> }
          const listed = body.integrations?.find((i) => i.id === integrationId)
          return [
            effect('lists the integration, connected', listed?.connected === true, JSON.stringify(listed ?? body)),
          ]
        },
      }
    },
  },
  {
    name: 'internal: GET /integrations/{id}/credentials',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { agentId, integrationId, accessToken } = await benchIntegration(ctx)
      const path = `/api/internal/integrations/${integrationId}/credentials`
      return {
        path,
        headers: headers(ctx, agentId),
        verify: async () => {
          const res = await fetch(`${ctx.baseUrl}${path}`, { headers: headers(ctx, agentId) })
          const body = (await res.json()) as { access_token?: string }
          // The token itself is not printed: that it decrypts to what was stored is the effect.
          return [
            effect('decrypts to the stored access token', body.access_token === accessToken, `HTTP ${res.status}`),
          ]
        },
      }
    },
  },
]

async function opsPerSecond(run: () => Promise<unknown>, iterations: number) {
  for (let i = 0; i < 200; i++) await run()
  const started = performance.now()
  for (let i = 0; i < iterations; i++) await run()
  const seconds = (performance.now() - started) / 1000
  return { perSecond: Math.round(iterations / seconds), microseconds: ((seconds / iterations) * 1e6).toFixed(1) }
}

export const integrationBenchmarks: CustomBenchmark[] = [
  {
    name: 'Fernet (WebCrypto, Node): 60-byte OAuth token',
    async run() {
      const keys = [generateFernetKey(), generateFernetKey(), generateFernetKey()]
      const fernet = createFernet(keys)
      const plaintext = `ya29.${'a'.repeat(55)}`
      const token = await fernet.encrypt(plaintext)
      const underLastKey = await createFernet(keys[2]!).encrypt(plaintext)
      const rows: BenchRow[] = [
        effect('decrypts what it encrypted', (await fernet.decrypt(token)) === plaintext, 'first key'),
        effect('decrypts a token under the third key', (await fernet.decrypt(underLastKey)) === plaintext, 'rotation'),
      ]
      for (const [metric, run] of [
        ['encrypt', () => fernet.encrypt(plaintext)],
        ['decrypt (first key)', () => fernet.decrypt(token)],
        ['decrypt (third of 3 keys, mid-rotation)', () => fernet.decrypt(underLastKey)],
      ] as const) {
        const { perSecond, microseconds } = await opsPerSecond(run, 5000)
        rows.push({ metric, value: `${perSecond.toLocaleString('en-US')} ops/s (${microseconds} µs each)` })
      }
      return rows
    },
  },
]
