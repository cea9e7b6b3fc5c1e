// Rows the HTTP scenarios share: made on first use, once per `npm run bench`.
import { createHash, randomUUID } from 'node:crypto'
import type { BenchContext } from './types.ts'

/**
 * `make` run on the first call only; every later call (another scenario of the same run) gets
 * the same rows. `tag` keeps this run's names and slugs unique.
 */
export function oncePerRun<T>(make: (ctx: BenchContext, tag: string) => Promise<T>): (ctx: BenchContext) => Promise<T> {
  let made: Promise<T> | undefined
  return (ctx) => {
    made ??= make(ctx, randomUUID().slice(0, 8))
    return made
  }
}

/**
 * One customer with a subscription on an effectively unlimited plan, and one agent with an API key
 * (the agent runtime's view of a customer). `tag` keeps its names and slugs unique.
 */
export async function createBenchAgent(ctx: BenchContext, tag: string): Promise<{ agentId: string; apiKey: string }> {
  const prefix = `efk_bench${tag}`
  const apiKey = `${prefix}_${randomUUID().replaceAll('-', '')}`
  const hash = createHash('sha256').update(apiKey).digest('hex')
  const [customer] = await ctx.sql`
    INSERT INTO customers (name, slug, email) VALUES (${`Bench ${tag}`}, ${`bench-${tag}`}, ${`bench-${tag}@example.com`})
    RETURNING id`
  const [type] = await ctx.sql`
    INSERT INTO agent_types (name, slug, system_prompt_template)
    VALUES (${`Bench ${tag}`}, ${`bench-${tag}`}, 'You are {agent_name} for {company_name}. Greet with "{greeting}".')
    RETURNING id`
  const [kb] = await ctx.sql`
    INSERT INTO knowledge_bases (customer_id, name) VALUES (${customer!.id}, 'Bench docs') RETURNING id`
  const [plan] = await ctx.sql`
    INSERT INTO plans (name, slug, limits)
    VALUES (${`Bench ${tag}`}, ${`bench-${tag}`}, ${ctx.sql.json({ messages: 1e12, tokens: 1e15 })})
    RETURNING id`
  await ctx.sql`
    INSERT INTO subscriptions (customer_id, plan_id, status, current_period_start, current_period_end)
    VALUES (${customer!.id}, ${plan!.id}, 'active', now() - interval '1 day', now() + interval '30 days')`
  const [agent] = await ctx.sql`
    INSERT INTO agent_instances (customer_id, agent_type_id, name, configuration, knowledge_base_id, api_key_prefix, api_key_hash)
    VALUES (${customer!.id}, ${type!.id}, 'Bench agent',
            ${ctx.sql.json({ agent_name: 'Ada', greeting: 'Hi!', embed_domains: ['example.com'] })},
            ${kb!.id}, ${prefix}, ${hash})
    RETURNING id`
  return { agentId: agent!.id as string, apiKey }
}

/** The bench agent the internal API's HTTP scenarios share. */
export const benchAgent = oncePerRun(createBenchAgent)

/** Headers of an internal API call: the service secret and, for an agent-scoped call, the agent. */
export const internalAuth = (ctx: BenchContext, agentId?: string) => ({
  Authorization: `Bearer ${ctx.serviceSecret}`,
  ...(agentId ? { 'X-Agent-Instance-ID': agentId } : {}),
})
