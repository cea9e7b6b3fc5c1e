// Customer web app under load: the signed-in dashboard, a wizard step, and the login itself
// (PBKDF2-SHA256 at 100,000 iterations, the deliberate cost of every password check).
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto'
import { oncePerRun } from '../fixtures.ts'
import { type BenchContext, effect, type HttpRequestSpec, type HttpScenario } from '../types.ts'

/** A customer with a trial-like subscription, two agents, a knowledge base, a user and a live session. */
const benchAccount = oncePerRun(async (ctx, tag) => {
  const email = `web-bench-${tag}@example.com`
  const password = `bench-password-${tag}`
  const salt = randomBytes(16)
  const hash = pbkdf2Sync(password, salt, 100_000, 32, 'sha256')
  const passwordHash = `pbkdf2-sha256$100000$${salt.toString('base64')}$${hash.toString('base64')}`
  const [customer] = await ctx.sql`
    INSERT INTO customers (name, slug, email) VALUES (${`Web bench ${tag}`}, ${`web-bench-${tag}`}, ${email})
    RETURNING id`
  const [user] = await ctx.sql`
    INSERT INTO customer_users (customer_id, email, role, password_hash)
    VALUES (${customer!.id}, ${email}, 'admin', ${passwordHash}) RETURNING id`
  const [plan] = await ctx.sql`SELECT id FROM plans WHERE slug = 'pro'`
  await ctx.sql`
    INSERT INTO subscriptions (customer_id, plan_id, status, current_period_start, current_period_end)
    VALUES (${customer!.id}, ${plan!.id}, 'active', now() - interval '1 day', now() + interval '30 days')`
  const [kb] = await ctx.sql`
    INSERT INTO knowledge_bases (customer_id, name) VALUES (${customer!.id}, 'Bench docs') RETURNING id`
  const [type] = await ctx.sql`SELECT id FROM agent_types WHERE slug = 'customer-support'`
  for (const n of [1, 2]) {
    await ctx.sql`
      INSERT INTO agent_instances (customer_id, agent_type_id, name, knowledge_base_id, api_key_prefix, api_key_hash)
      VALUES (${customer!.id}, ${type!.id}, ${`Bench agent ${n}`}, ${kb!.id}, ${`efk_web${tag}${n}`}, ${'0'.repeat(64)})`
  }
  const token = randomBytes(32).toString('base64url')
  const id = createHash('sha256').update(token).digest('hex')
  await ctx.sql`
    INSERT INTO customer_sessions (id, user_id, customer_id, csrf_token, expires_at)
    VALUES (${id}, ${user!.id}, ${customer!.id}, ${randomBytes(24).toString('base64url')}, now() + interval '7 days')`
  return {
    password,
    passwordHash,
    tag,
    customerId: customer!.id as string,
    companyName: `Web bench ${tag}`,
    cookie: `__Host-session=${token}`,
  }
})

/** At least the connections autocannon opens (BENCH_CONNECTIONS, 10 by default). */
const SIGN_IN_USERS = Math.max(20, 2 * Number(process.env.BENCH_CONNECTIONS ?? 10))

/** One more signed-in page like the measured ones. */
async function page(ctx: BenchContext, path: string, cookie: string): Promise<string> {
  return (await fetch(`${ctx.baseUrl}${path}`, { headers: { Cookie: cookie } })).text()
}

export const webScenarios: HttpScenario[] = [
  {
    name: 'web: GET /dashboard (signed in)',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { cookie, companyName } = await benchAccount(ctx)
      return {
        path: '/dashboard',
        headers: { Cookie: cookie },
        verify: async () => {
          const html = await page(ctx, '/dashboard', cookie)
          return [effect("the customer's own dashboard", html.includes(companyName), companyName)]
        },
      }
    },
  },
  {
    name: 'web: GET wizard step (signed in)',
    async setup(ctx): Promise<HttpRequestSpec> {
      const { cookie } = await benchAccount(ctx)
      const path = '/agents/onboarding/customer-support?step=basics'
      const [type] = await ctx.sql`SELECT name FROM agent_types WHERE slug = 'customer-support'`
      return {
        path,
        headers: { Cookie: cookie },
        verify: async () => {
          const html = await page(ctx, path, cookie)
          const ok = html.includes(type!.name as string) && html.includes('name="_csrf"')
          return [effect("the agent type's wizard step, a form to fill in", ok, type!.name as string)]
        },
      }
    },
  },
  {
    name: 'web: POST /login (PBKDF2 100k, 303 = success)',
    async setup(ctx: BenchContext): Promise<HttpRequestSpec> {
      const { password, customerId, passwordHash, tag } = await benchAccount(ctx)
      // One user per connection: sign-ins of one account from one address count against its limit
      // (5 at once) before a good password forgives them, so a single account would answer 429s.
      const emails = Array.from({ length: SIGN_IN_USERS }, (_, i) => `web-bench-${tag}-signin-${i}@example.com`)
      const users = await ctx.sql`
        INSERT INTO customer_users ${ctx.sql(emails.map((email) => ({ customer_id: customerId, email, role: 'member', password_hash: passwordHash })))}
        RETURNING id`
      const userIds = users.map((u) => u.id as string)
      const sessions = async () =>
        Number(
          (await ctx.sql`SELECT count(*)::int AS n FROM customer_sessions WHERE user_id = ANY(${userIds}::uuid[])`)[0]
            ?.n ?? 0,
        )
      const before = await sessions()
      let next = 0
      return {
        method: 'POST',
        path: '/login',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin' },
        body: () => new URLSearchParams({ email: emails[next++ % emails.length]!, password }).toString(),
        expectStatus: 303,
        // Each successful sign-in opens a session; those in flight at the end may have too.
        verify: async ({ answered, sent }) => {
          const opened = (await sessions()) - before
          return [
            effect(
              'sessions opened (303 answers .. sent)',
              opened >= answered && opened <= sent,
              `${opened} (${answered} .. ${sent})`,
            ),
          ]
        },
      }
    },
  },
]
