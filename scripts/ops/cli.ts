// The ops CLI: reads go straight to the database, every change goes through src/ops/actions.ts
// (the Worker's own rule code) and leaves an operator_actions row in the same transaction.
import { userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import { sql } from 'drizzle-orm'
import { recentLedgerEntries } from '../../src/billing/ledger.ts'
import { readBillingSnapshot } from '../../src/billing/rules/billing-snapshot.ts'
import { decideCanRespond } from '../../src/billing/rules/can-respond.ts'
import { createDb, type Database } from '../../src/db/client.ts'
import {
  type CustomerRef,
  creditCustomer,
  findCustomer,
  OpsError,
  parseDollars,
  resumeCustomer,
  retryFailedDocuments,
  retryFailedNotifications,
  suspendCustomer,
} from '../../src/ops/actions.ts'
import {
  customerAgents,
  customerIntegrations,
  recentNotifications,
  recentStripeEvents,
} from '../../src/ops/customer-detail.ts'
import { causeChain } from '../../src/platform/cause-chain.ts'
import { isUuid } from '../../src/platform/uuid.ts'
import {
  CATALOG_KINDS,
  type CatalogDiff,
  CatalogFileError,
  type CatalogKind,
  diffCatalog,
  type FieldChange,
  readCatalogFile,
  readCurrentCatalog,
} from '../catalog.ts'
import { encryptionKeysFromEnv } from '../seed.ts'

export interface OpsIo {
  env: Record<string, string | undefined>
  out(text: string): void
  err(text: string): void
}

export const processIo = (): OpsIo => ({
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
})

const messageOf = (value: unknown) =>
  typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string'
    ? value.message
    : ''

/**
 * Why a command failed, for the operator: the innermost cause that says something (drizzle's
 * "Failed query" wraps the driver's reason), first line only (the rest can hold the statement's
 * parameters), with any URL masked (a driver error can quote the connection string). The driver
 * reports a connection it could not open as a bare WebSocket error event with no message.
 */
export function failureReason(error: unknown): string {
  let reason = ''
  let innermost: unknown = error
  for (const value of causeChain(error)) {
    innermost = value
    const line = messageOf(value).split('\n')[0]?.trim()
    if (line) reason = line
  }
  if (typeof innermost === 'object' && innermost !== null && !(innermost instanceof Error) && !messageOf(innermost)) {
    reason = 'could not connect to the database (check DATABASE_URL; a local database also needs LOCAL_WS_PROXY)'
  }
  return reason.replace(/\b\w+:\/\/\S+/g, '<url>') || 'unknown error'
}

/**
 * Exit codes: 0 done, 1 failed (database unreachable, unexpected error, invalid catalog), 2 bad usage,
 * 3 not found (customer, document, catalog file), 4 conflict.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, conflict: 4 } as const

const LOCAL_DEV_DATABASE = { url: 'postgres://postgres:postgres@127.0.0.1:5435/postgres', wsProxy: '127.0.0.1:5436' }

const HELP: Record<string, string> = {
  ops: `Usage: npm run ops -- <command> [options]   (--json on every command, --help per command)

  customers [search]                      customers with plan, status, usage this period, balance, agents
  customer <id|email|stripe id>           one customer in detail: agents and why they are off, integrations,
                                          ledger, notifications, Stripe events, operator actions
  suspend <customer> --reason "..."       stop serving the customer at once
  resume <customer> [--reason "..."]      serve again; runs the billing re-enable rule
  credit <customer> <dollars> --reason "..."   prepaid credit (20 or 12.50), same rule as a top-up
  usage export [--period YYYY-MM] [--customer <customer>]   CSV per customer, agent and period
  documents failed | documents retry <id...|--all-failed>
  notifications failed | notifications retry
  log [--customer <customer>] [--limit N] operator actions, newest first
  catalog diff <file>                     what \`npm run seed -- <file>\` would add or change (writes nothing)

Environment: DATABASE_URL (Neon, or the local database), LOCAL_WS_PROXY for the local database's
WebSocket relay. Without DATABASE_URL: the \`npm run dev\` database. OPERATOR names you in the audit
trail (default: your OS user).
Exit codes: 0 done, 1 failed (or an invalid catalog), 2 bad usage, 3 not found, 4 ambiguous or conflicting.`,
  customers: 'Usage: ops customers [search] [--json]\n  search matches email, company name or Stripe customer id.',
  customer: 'Usage: ops customer <id|email|stripe customer id> [--json]',
  suspend: 'Usage: ops suspend <customer> --reason "..." [--json]',
  resume: 'Usage: ops resume <customer> [--reason "..."] [--json]',
  credit: 'Usage: ops credit <customer> <dollars> --reason "..." [--json]\n  dollars: 20, 12.50 or $5',
  usage: 'Usage: ops usage export [--period YYYY-MM] [--customer <customer>] [--json]\n  CSV by default.',
  documents: 'Usage: ops documents failed [--json]\n       ops documents retry <id...|--all-failed> [--json]',
  notifications: 'Usage: ops notifications failed [--json]\n       ops notifications retry [--json]',
  log: 'Usage: ops log [--customer <customer>] [--limit N] [--json]',
  catalog: `Usage: ops catalog diff <file> [--json]
  What loading the catalog file with \`npm run seed -- <file>\` would add or change (plans, agent types,
  onboarding schemas, billing settings, integration providers) against DATABASE_URL; writes nothing.
  The file is validated as the seed validates it, each agent type's onboarding schema included.
  Items in the database that the file does not mention are listed; the seed leaves them as they are.
  Client secrets are compared (with ENCRYPTION_KEY) but never shown.
  Exit codes: 0 valid (changes or not: see "has_changes" in --json), 1 invalid catalog,
  2 bad usage, 3 no such file.`,
}

class UsageError extends Error {}

export async function runOps(argv: string[], io: OpsIo): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${HELP.ops}`)
    return EXIT.usage
  }
  const { positionals, values } = parsed
  const [command, ...rest] = positionals
  if (!command || (values.help && !command)) {
    ;(command ? io.out : values.help ? io.out : io.err)(HELP.ops ?? '')
    return values.help ? EXIT.ok : EXIT.usage
  }
  if (!(command in HELP) || command === 'ops') {
    io.err(`Unknown command "${command}".\n\n${HELP.ops}`)
    return EXIT.usage
  }
  if (values.help) {
    io.out(HELP[command] ?? '')
    return EXIT.ok
  }
  const stray = Object.keys(values).find(
    (option) => option !== 'json' && !COMMAND_OPTIONS[command as keyof typeof commands].includes(option),
  )
  if (stray) {
    io.err(`ops ${command} takes no --${stray}.\n\n${HELP[command]}`)
    return EXIT.usage
  }
  let url = io.env.DATABASE_URL
  let wsProxy = io.env.LOCAL_WS_PROXY
  if (!url) {
    url = LOCAL_DEV_DATABASE.url
    wsProxy ??= LOCAL_DEV_DATABASE.wsProxy
    io.err(`DATABASE_URL is not set: using the npm run dev database (${url}).`)
  }
  const handle = createDb({ DATABASE_URL: url, LOCAL_WS_PROXY: wsProxy })
  const context: Context = {
    db: handle.db,
    io,
    json: values.json ?? false,
    operator: io.env.OPERATOR?.trim() || safeUserName(),
    values,
  }
  try {
    await commands[command as keyof typeof commands](context, rest)
    return EXIT.ok
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${HELP[command]}`)
      return EXIT.usage
    }
    if (error instanceof CatalogFileError) {
      if (error.kind === 'invalid' && context.json) {
        io.out(JSON.stringify({ valid: false, problems: error.problems }, null, 2))
      }
      io.err(error.message)
      return error.kind === 'missing' ? EXIT.notFound : EXIT.failed
    }
    if (error instanceof OpsError) {
      io.err(error.message)
      return error.code === 'not_found' ? EXIT.notFound : error.code === 'conflict' ? EXIT.conflict : EXIT.usage
    }
    io.err(`ops ${command} failed: ${failureReason(error)}`)
    return EXIT.failed
  } finally {
    await handle.close()
  }
}

/**
 * After a change commits: asks the hub (HUB_URL, with the first HUB_SERVICE_SECRET) to reload the
 * customer's hot-path state now. Without HUB_URL, or when the hub cannot be reached, the edge still
 * finds the change within 10 s by its version check; the operator is told so only in that failure.
 */
async function tellTheEdge(ctx: Context, customerId: string) {
  const hub = ctx.io.env.HUB_URL?.replace(/\/+$/, '')
  const secret = ctx.io.env.HUB_SERVICE_SECRET?.split(',')[0]?.trim()
  if (!hub || !secret) return
  const failed = (why: string) =>
    ctx.io.err(`The hub was not told (${why}); the edge picks the change up within 10 s anyway.`)
  try {
    const res = await fetch(`${hub}/api/internal/customers/${customerId}/state/refresh`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${secret}` },
      signal: AbortSignal.timeout(5_000),
    })
    if (!res.ok) failed(`HTTP ${res.status}`)
  } catch (error) {
    failed(failureReason(error))
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      reason: { type: 'string' },
      customer: { type: 'string' },
      period: { type: 'string' },
      limit: { type: 'string' },
      'all-failed': { type: 'boolean' },
    },
  })
}

function safeUserName() {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/**
 * The options each command reads. Any other is refused, not ignored: `documents retry --all-failed
 * --customer x` would otherwise retry every customer's documents.
 */
const COMMAND_OPTIONS: Record<keyof typeof commands, string[]> = {
  customers: [],
  customer: [],
  suspend: ['reason'],
  resume: ['reason'],
  credit: ['reason'],
  usage: ['period', 'customer'],
  documents: ['all-failed'],
  notifications: [],
  catalog: [],
  log: ['customer', 'limit'],
}

interface Context {
  db: Database
  io: OpsIo
  json: boolean
  operator: string
  values: ReturnType<typeof parse>['values']
}

type Row = Record<string, unknown>

const dollars = (cents: unknown) => `$${(Number(cents ?? 0) / 100).toFixed(2)}`
const iso = (value: unknown) => (value == null ? '' : new Date(value as string).toISOString())
const day = (value: unknown) => iso(value).slice(0, 10)

/** Columns padded to their widest cell; the header underlined. */
export function table(rows: Row[], columns: string[]): string {
  if (rows.length === 0) return '(none)'
  const cell = (v: unknown) => (v == null ? '' : String(v).replace(/\s+/g, ' '))
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n')
}

function print(ctx: Context, data: unknown, human: () => string) {
  ctx.io.out(ctx.json ? JSON.stringify(data, null, 2) : human())
}

function one(rest: string[], what: string): string {
  const [value, ...extra] = rest
  if (!value) throw new UsageError(`Missing ${what}.`)
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`)
  return value
}

const STATUS_SQL = sql`CASE
  WHEN NOT c.is_active THEN 'suspended'
  WHEN c.grace_period_ends_at IS NOT NULL THEN 'grace'
  WHEN s.status = 'trialing' THEN 'trial'
  WHEN s.status = 'past_due' THEN 'past due'
  WHEN s.status IN ('canceled', 'expired', 'incomplete_expired', 'unpaid') THEN 'canceled'
  WHEN s.status IS NULL THEN 'no subscription'
  ELSE s.status END`

async function customerSummaries(db: Database, where: ReturnType<typeof sql>) {
  const { rows } = await db.execute<Row>(sql`
    SELECT c.id, c.email, c.name AS company, c.stripe_customer_id, p.slug AS plan, ${STATUS_SQL} AS status,
      s.status AS subscription_status, c.grace_period_ends_at, coalesce(b.balance_cents, 0) AS balance_cents,
      (SELECT count(*)::int FROM agent_instances a WHERE a.customer_id = c.id) AS agents,
      (SELECT count(*)::int FROM agent_instances a WHERE a.customer_id = c.id AND a.is_active) AS agents_on,
      c.created_at
    FROM customers c
    LEFT JOIN subscriptions s ON s.customer_id = c.id
    LEFT JOIN plans p ON p.id = s.plan_id
    LEFT JOIN extra_usage_balances b ON b.customer_id = c.id
    WHERE ${where}
    ORDER BY c.created_at DESC
    LIMIT 200`)
  const summaries = []
  for (const row of rows) {
    const snapshot = await readBillingSnapshot(db, String(row.id))
    const decision = snapshot ? decideCanRespond(snapshot) : null
    summaries.push({
      id: String(row.id),
      email: String(row.email),
      company: String(row.company),
      stripe_customer_id: row.stripe_customer_id ?? null,
      plan: row.plan ?? null,
      status: String(row.status),
      subscription_status: row.subscription_status ?? null,
      grace_period_ends_at: row.grace_period_ends_at ? iso(row.grace_period_ends_at) : null,
      can_respond: decision?.allowed ?? false,
      reason_code: decision?.reason_code ?? null,
      usage: decision?.usage ?? null,
      limits: decision?.limits ?? null,
      balance_cents: Number(row.balance_cents),
      agents: Number(row.agents),
      agents_on: Number(row.agents_on),
    })
  }
  return summaries
}

type Summary = Awaited<ReturnType<typeof customerSummaries>>[number]

const usageText = (s: Summary) => {
  if (!s.usage) return ''
  const limit = (metric: 'messages' | 'tokens') => (s.limits?.[metric] !== undefined ? `/${s.limits[metric]}` : '')
  return `${s.usage.messages}${limit('messages')} msg, ${s.usage.tokens}${limit('tokens')} tok`
}

const commands = {
  async customers(ctx: Context, rest: string[]) {
    const search = rest.join(' ').trim()
    const like = `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`
    const where = search
      ? sql`(c.email ILIKE ${like} OR c.name ILIKE ${like} OR c.stripe_customer_id = ${search} OR c.id::text = ${search})`
      : sql`true`
    const customers = await customerSummaries(ctx.db, where)
    print(ctx, { customers }, () =>
      table(
        customers.map((c) => ({
          ...c,
          usage: usageText(c),
          balance: dollars(c.balance_cents),
          agents: `${c.agents_on}/${c.agents} on`,
        })),
        ['email', 'company', 'plan', 'status', 'usage', 'balance', 'agents', 'id'],
      ),
    )
  },

  async customer(ctx: Context, rest: string[]) {
    const ref = await findCustomer(ctx.db, one(rest, 'customer (id, email or Stripe customer id)'))
    const [summary] = await customerSummaries(ctx.db, sql`c.id = ${ref.id}::uuid`)
    if (!summary) throw new OpsError('The customer was deleted meanwhile.', 'not_found')
    const [agentRows, integrationRows, ledgerRows, notificationRows, eventRows, actions] = await Promise.all([
      customerAgents(ctx.db, ref.id),
      customerIntegrations(ctx.db, ref.id),
      recentLedgerEntries(ctx.db, ref.id, 10),
      recentNotifications(ctx.db, ref.id, 5),
      recentStripeEvents(ctx.db, ref.id, 5),
      operatorLog(ctx.db, ref.id, 5),
    ])
    const agents = agentRows.map((a) => ({
      id: a.id,
      name: a.name,
      type: a.type,
      state: a.isActive && summary.can_respond ? 'on' : 'off',
      why_off: whyOff(a, summary),
      api_key_prefix: a.apiKeyPrefix,
    }))
    const integrations = integrationRows.map(({ expiresAt, ...integration }) => ({
      ...integration,
      expires_at: expiresAt ? expiresAt.toISOString() : null,
    }))
    const ledger = ledgerRows.map((e) => ({
      at: e.createdAt.toISOString(),
      kind: e.kind,
      amount_cents: e.amountCents,
      balance_after_cents: e.balanceAfterCents,
      source:
        e.stripeCheckoutSessionId ?? (e.periodStart ? `period ${day(e.periodStart)}` : (e.operatorActionId ?? '')),
    }))
    const notifications = notificationRows.map((n) => ({ ...n, at: n.at.toISOString() }))
    const stripeEvents = eventRows.map((e) => ({ ...e, at: e.at.toISOString() }))
    const detail = {
      customer: summary,
      agents,
      integrations,
      ledger,
      notifications,
      stripe_events: stripeEvents,
      operator_actions: actions,
    }
    print(ctx, detail, () =>
      [
        `${summary.company} <${summary.email}>  ${summary.id}`,
        `plan ${summary.plan ?? '-'}, status ${summary.status}, balance ${dollars(summary.balance_cents)}, usage ${usageText(summary)}`,
        `agents can respond: ${summary.can_respond ? 'yes' : 'no'}${summary.reason_code ? ` (${summary.reason_code})` : ''}`,
        '',
        'Agents',
        table(agents, ['name', 'type', 'state', 'why_off', 'api_key_prefix', 'id']),
        '',
        'Integrations',
        table(integrations, ['provider', 'account', 'status', 'expires_at']),
        '',
        'Balance ledger (latest)',
        table(
          ledger.map((e) => ({ ...e, amount: dollars(e.amount_cents), balance: dollars(e.balance_after_cents) })),
          ['at', 'kind', 'amount', 'balance', 'source'],
        ),
        '',
        'Notifications (latest)',
        table(notifications, ['at', 'kind', 'status', 'subject']),
        '',
        'Stripe events (latest)',
        table(stripeEvents, ['at', 'type', 'status', 'id']),
        '',
        'Operator actions (latest)',
        table(actions, ['at', 'operator', 'action', 'reason']),
      ].join('\n'),
    )
  },

  async suspend(ctx: Context, rest: string[]) {
    const ref = await findCustomer(ctx.db, one(rest, 'customer'))
    const result = await suspendCustomer(ctx.db, ref, ctx.operator, ctx.values.reason)
    await tellTheEdge(ctx, ref.id)
    print(ctx, { customer_id: ref.id, suspended: true, ...snake(result) }, () =>
      result.wasActive ? `Suspended ${ref.email}.` : `${ref.email} was already suspended (recorded again).`,
    )
  },

  async resume(ctx: Context, rest: string[]) {
    const ref = await findCustomer(ctx.db, one(rest, 'customer'))
    const result = await resumeCustomer(ctx.db, ref, ctx.operator, ctx.values.reason)
    await tellTheEdge(ctx, ref.id)
    print(
      ctx,
      { customer_id: ref.id, suspended: false, ...snake(result) },
      () => `Resumed ${ref.email}; agents switched back on by the billing rule: ${result.agentsSwitchedOn.length}.`,
    )
  },

  async credit(ctx: Context, rest: string[]) {
    const [who, amount, ...extra] = rest
    if (!who || !amount) throw new UsageError('Give the customer and an amount in dollars.')
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`)
    const cents = parseDollars(amount)
    const ref = await findCustomer(ctx.db, who)
    const result = await creditCustomer(ctx.db, ref, cents, ctx.operator, ctx.values.reason)
    await tellTheEdge(ctx, ref.id)
    print(
      ctx,
      { customer_id: ref.id, amount_cents: cents, ...snake(result) },
      () =>
        `Credited ${dollars(cents)} to ${ref.email}; balance ${dollars(result.balanceCents)}; agents switched back on: ${result.agentsSwitchedOn.length}.`,
    )
  },

  async usage(ctx: Context, rest: string[]) {
    if (one(rest, 'subcommand (export)') !== 'export') throw new UsageError('The usage subcommand is "export".')
    const period = ctx.values.period
    if (period !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
      throw new OpsError(`--period takes a month as YYYY-MM, not "${period}".`, 'invalid')
    }
    const customer = ctx.values.customer ? await findCustomer(ctx.db, ctx.values.customer) : undefined
    const month = period ? sql`to_char(r.period_start AT TIME ZONE 'UTC', 'YYYY-MM') = ${period}` : sql`true`
    const whose = customer ? sql`r.customer_id = ${customer.id}::uuid` : sql`true`
    const { rows } = await ctx.db.execute<Row>(sql`
      SELECT c.email AS customer_email, r.customer_id, a.name AS agent, r.agent_instance_id AS agent_id,
        r.period_start, r.period_end, r.messages, r.input_tokens, r.output_tokens,
        coalesce((SELECT -sum(l.amount_cents) FROM balance_ledger l
          WHERE l.customer_id = r.customer_id AND l.kind = 'overage_charge' AND l.period_start = r.period_start), 0)
          AS customer_overage_charged_cents
      FROM usage_records r
      JOIN customers c ON c.id = r.customer_id
      LEFT JOIN agent_instances a ON a.id = r.agent_instance_id
      WHERE ${month} AND ${whose}
      ORDER BY r.period_start, c.email, a.name`)
    const records = rows.map((r) => ({
      customer_email: String(r.customer_email),
      customer_id: String(r.customer_id),
      agent: r.agent == null ? '' : String(r.agent),
      agent_id: r.agent_id == null ? '' : String(r.agent_id),
      period_start: iso(r.period_start),
      period_end: iso(r.period_end),
      messages: Number(r.messages),
      input_tokens: Number(r.input_tokens),
      output_tokens: Number(r.output_tokens),
      customer_overage_charged_cents: Number(r.customer_overage_charged_cents),
    }))
    const columns = Object.keys(records[0] ?? USAGE_COLUMNS_TEMPLATE)
    print(ctx, { usage: records }, () =>
      [columns.join(','), ...records.map((r) => columns.map((c) => csvCell(r[c as keyof typeof r])).join(','))].join(
        '\n',
      ),
    )
  },

  async documents(ctx: Context, rest: string[]) {
    const [sub, ...ids] = rest
    if (sub === 'failed') {
      if (ids.length > 0) throw new UsageError(`Unexpected argument "${ids[0]}".`)
      const { rows } = await ctx.db.execute<Row>(sql`
        SELECT d.id, c.email AS customer_email, d.title, d.error_message, d.updated_at
        FROM knowledge_documents d JOIN customers c ON c.id = d.customer_id
        WHERE d.status = 'error' ORDER BY d.updated_at DESC LIMIT 500`)
      const documents = rows.map((d) => ({
        id: String(d.id),
        customer_email: String(d.customer_email),
        title: String(d.title),
        error: d.error_message == null ? '' : String(d.error_message),
        failed_at: iso(d.updated_at),
      }))
      print(ctx, { documents }, () => table(documents, ['id', 'customer_email', 'title', 'error', 'failed_at']))
      return
    }
    if (sub !== 'retry') throw new UsageError('The documents subcommands are "failed" and "retry".')
    const all = ctx.values['all-failed'] ?? false
    if (all === ids.length > 0) throw new UsageError('Give document ids or --all-failed (one of the two).')
    const bad = ids.find((id) => !isUuid(id))
    if (bad) throw new OpsError(`"${bad}" is not a document id.`, 'invalid')
    const retried = await retryFailedDocuments(ctx.db, all ? { allFailed: true } : { ids }, ctx.operator)
    print(ctx, { retried }, () =>
      retried.length === 0
        ? 'No failed documents.'
        : `${retried.length} document(s) handed to the stuck-document sweep; they are queued again within 15 minutes.`,
    )
  },

  async notifications(ctx: Context, rest: string[]) {
    const sub = one(rest, 'subcommand (failed or retry)')
    if (sub === 'failed') {
      // The body is left out: it can carry links meant for the recipient only.
      const { rows } = await ctx.db.execute<Row>(sql`
        SELECT id, kind, recipient, subject, created_at FROM notifications
        WHERE status = 'failed' ORDER BY created_at DESC LIMIT 500`)
      const notifications = rows.map((n) => ({
        id: String(n.id),
        kind: String(n.kind),
        recipient: String(n.recipient),
        subject: String(n.subject),
        created_at: iso(n.created_at),
      }))
      print(ctx, { notifications }, () => table(notifications, ['id', 'kind', 'recipient', 'subject', 'created_at']))
      return
    }
    if (sub !== 'retry') throw new UsageError('The notifications subcommands are "failed" and "retry".')
    const retried = await retryFailedNotifications(ctx.db, ctx.operator)
    print(ctx, { retried }, () =>
      retried.length === 0
        ? 'No failed notifications.'
        : `${retried.length} notification(s) back in the outbox; the next job run delivers them.`,
    )
  },

  async catalog(ctx: Context, rest: string[]) {
    const [sub, file, ...extra] = rest
    if (sub !== 'diff') throw new UsageError('The catalog subcommand is "diff".')
    if (!file) throw new UsageError('Missing the catalog file.')
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`)
    const { catalog, onboarding } = await readCatalogFile(file)
    const current = await readCurrentCatalog(async (query) => (await ctx.db.execute<Row>(sql.raw(query))).rows)
    const { diff } = await diffCatalog(catalog, current, {
      encryptionKeys: encryptionKeysFromEnv(ctx.io.env),
      env: ctx.io.env,
    })
    print(ctx, { file, valid: true, onboarding_schemas: onboarding, ...diff }, () =>
      catalogDiffText(file, diff, onboarding),
    )
  },

  async log(ctx: Context, rest: string[]) {
    if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}".`)
    const limit = ctx.values.limit === undefined ? 50 : Number(ctx.values.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new OpsError('--limit takes 1 to 1000.', 'invalid')
    const customer = ctx.values.customer ? await findCustomer(ctx.db, ctx.values.customer) : undefined
    const actions = await operatorLog(ctx.db, customer?.id, limit)
    print(ctx, { actions }, () => table(actions, ['at', 'operator', 'action', 'target', 'reason', 'id']))
  },
}

const CATALOG_LABELS: Record<CatalogKind, [string, string]> = {
  plans: ['plan', 'plans'],
  agent_types: ['agent type', 'agent types'],
  billing_settings: ['billing setting', 'billing settings'],
  integration_providers: ['provider', 'integration providers'],
}

/** A value as the diff table shows it: JSON, cut to fit a terminal line. */
function shown(value: unknown, present: boolean): string {
  if (!present) return '(absent)'
  const text = typeof value === 'string' && /^\(.*\)$/.test(value) ? value : JSON.stringify(value)
  return text.length > 48 ? `${text.slice(0, 47)}…` : text
}

const changeText = (c: FieldChange) => `${shown(c.before, 'before' in c)} → ${shown(c.after, 'after' in c)}`

function catalogDiffText(file: string, diff: CatalogDiff, onboarding: { agent_type: string }[]): string {
  const rows: Row[] = []
  for (const kind of CATALOG_KINDS) {
    const [label] = CATALOG_LABELS[kind]
    for (const item of diff[kind].added) {
      rows.push({
        kind: label,
        item: item.key,
        status: 'added',
        field: 'name',
        change: shown(item.values.name ?? item.values.value, true),
      })
    }
    for (const item of diff[kind].changed) {
      item.changes.forEach((c, i) => {
        rows.push({
          kind: i === 0 ? label : '',
          item: i === 0 ? item.key : '',
          status: i === 0 ? 'changed' : '',
          field: c.field,
          change: changeText(c),
        })
      })
    }
    for (const key of diff[kind].only_in_database) {
      rows.push({ kind: label, item: key, status: 'only in database', field: '', change: '(the seed leaves it)' })
    }
  }
  const summary = CATALOG_KINDS.map((kind) => {
    const d = diff[kind]
    const counts = `${d.added.length} added, ${d.changed.length} changed, ${d.unchanged.length} unchanged`
    return `${CATALOG_LABELS[kind][1]}: ${counts}${d.only_in_database.length > 0 ? `, ${d.only_in_database.length} only in the database` : ''}`
  })
  return [
    `Catalog ${file} against the database (nothing written). Onboarding schemas valid: ${onboarding.map((o) => o.agent_type).join(', ') || '(none)'}.`,
    ...(diff.has_changes ? [] : ['No changes: the database already matches the file.']),
    ...(rows.length > 0 ? ['', table(rows, ['kind', 'item', 'status', 'field', 'change'])] : []),
    '',
    ...summary,
    ...(diff.client_secrets_skipped.length > 0
      ? [
          `ENCRYPTION_KEY is not set: the seed would not store the client secret of ${diff.client_secrets_skipped.join(', ')}.`,
        ]
      : []),
    ...(diff.has_changes ? ['', `Apply with: npm run seed -- ${file}`] : []),
  ].join('\n')
}

const USAGE_COLUMNS_TEMPLATE = {
  customer_email: '',
  customer_id: '',
  agent: '',
  agent_id: '',
  period_start: '',
  period_end: '',
  messages: 0,
  input_tokens: 0,
  output_tokens: 0,
  customer_overage_charged_cents: 0,
}

/**
 * One CSV cell. Text a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
 * CR: OWASP's list) gets a leading `'`, which shows as text; quoting alone does not stop it, and the
 * export holds every customer's email for a `=HYPERLINK(...)` agent name to send away. Numbers are
 * ours (a negative one is no formula) and stay as they are.
 */
function csvCell(value: unknown): string {
  if (typeof value === 'number') return String(value)
  const raw = value == null ? '' : String(value)
  const text = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw
  return /[",\n\r]/.test(text) || text !== raw ? `"${text.replace(/"/g, '""')}"` : text
}

function snake(result: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(result).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v]),
  )
}

function whyOff(agent: { isActive: boolean; disabledReason: string | null }, summary: Summary): string {
  if (summary.status === 'suspended') return 'customer suspended (ops resume)'
  if (!agent.isActive) {
    if (agent.disabledReason === 'manual') return 'switched off by the customer'
    if (agent.disabledReason) return `${agent.disabledReason} (back on when billing allows: top-up, credit, plan)`
    return 'off'
  }
  return summary.can_respond ? '' : (summary.reason_code ?? 'billing')
}

async function operatorLog(db: Database, customerId: string | undefined, limit: number) {
  const { rows } = await db.execute<Row>(sql`
    SELECT id, operator, action, target, reason, details, created_at FROM operator_actions
    WHERE ${customerId ? sql`customer_id = ${customerId}::uuid` : sql`true`}
    ORDER BY created_at DESC, id DESC LIMIT ${limit}`)
  return rows.map((a) => ({
    id: String(a.id),
    at: iso(a.created_at),
    operator: String(a.operator),
    action: String(a.action),
    target: String(a.target),
    reason: a.reason == null ? '' : String(a.reason),
    details: a.details as Record<string, unknown>,
  }))
}

export type { CustomerRef }
