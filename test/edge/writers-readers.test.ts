// The writers × readers table of the hot path at the edge (issue: "After a product path changes the
// state, all three calls reflect it within 2 s on every isolate"). Rows: every product path that
// changes what the three per-message calls answer, each through its real entry point. Columns:
// can-respond, config, validate-key. Each cell says what the call answers after the write; a call
// the writer does not touch is `unchanged` and must answer exactly as before (`as_of` aside).
//
// Every row runs twice, on fresh fixtures, with the three calls first warmed into memory:
// - in the writer's own isolate (it forgets its answers for the customer): the very next call has it;
// - in an isolate nobody told: this isolate's memory is put back as it was before the write, so it
//   still holds its answers; every call reflects the change within 2 s of the end of the write, then
//   keeps saying so (from the object, then from memory).
// The worst delay measured per cell is printed at the end. Runs on PGlite and on the real PostgreSQL.
import { afterAll, describe, expect, it } from 'vitest'
import '../support/provided'
import { eq } from 'drizzle-orm'
import type { Database } from '../../src/db/client'
import { agentInstances, customers, type PlanLimits, subscriptions } from '../../src/db/schema'
import { captureIsolateMemory } from '../../src/edge/hot-path'
import { GRACE_EXPIRY_CRON, TRIAL_EXPIRY_CRON } from '../../src/jobs/scheduled'
import { creditCustomer, findCustomer, resumeCustomer, suspendCustomer } from '../../src/ops/actions'
import { days, postBatch, report } from '../support/billing'
import { testDb } from '../support/db'
import { edgeRuntime, type HotAnswer, hotCalls, timeUntil } from '../support/edge'
import { type FactoryOverrides, factories, uniq } from '../support/factories'
import { internalHeaders } from '../support/http'
import { deliver, stripeEvent, stripeSubscription, topUpEvent } from '../support/stripe'
import { shownApiKey } from '../support/web'
import { WebClient } from '../support/web-client'

/** The bound: a change reaches every isolate within this long after the write answered. */
const BOUND_MS = 2_000

// The grace-expiry and trial-expiry jobs act on every row due at their time. This file's grace periods
// and trials run while the calls are warmed; just before its job runs, the clock passes their end (the
// end is moved to January 1997: nobody announces that, as nobody announces the clock). The jobs run
// "at" that time, so they touch no other file's rows (theirs end in 1999 or later), and another file's
// job finds this file's row only in the moment between that move and this file's job.
const ENDED = new Date('1997-01-01T00:00:00Z')
const JOB_TIME = new Date('1997-01-01T00:15:00Z')
const TRIAL_JOB_TIME = new Date('1997-01-01T01:00:00Z')

const runtime = edgeRuntime()
const edge = hotCalls(runtime)

// ---------------------------------------------------------------------------------------------
// Fixtures: a customer with a signed-in admin, a plan, a subscription and an agent with its key.

interface AccountOptions {
  limits?: PlanLimits
  /** Messages the agent used this period. */
  messagesUsed?: number
  customer?: FactoryOverrides<'customer'>
  subscription?: FactoryOverrides<'subscription'>
  /** Links the agent to a knowledge base of the customer. */
  knowledgeBase?: boolean
}

async function account(o: AccountOptions = {}) {
  const { db } = testDb()
  const f = factories(db)
  const customer = await f.customer(o.customer)
  const user = await f.customerUser({ customerId: customer.id })
  const plan = await f.plan({ limits: o.limits ?? { messages: 1000, tokens: 1_000_000 } })
  const subscription = await f.subscription({ customerId: customer.id, planId: plan.id, ...o.subscription })
  const kb = o.knowledgeBase ? await f.knowledgeBase({ customerId: customer.id, name: 'Help centre' }) : null
  const agent = await f.agentInstance({ customerId: customer.id, name: 'Desk', knowledgeBaseId: kb?.id ?? null })
  if (o.messagesUsed) {
    await f.usageRecord({
      customerId: customer.id,
      agentInstanceId: agent.id,
      periodStart: subscription.currentPeriodStart,
      periodEnd: subscription.currentPeriodEnd,
      messages: o.messagesUsed,
    })
  }
  const web = new WebClient()
  await web.loginAs(db, user)
  return { db, f, customer, plan, subscription, kb, agentId: agent.id, key: agent.apiKey as string, web }
}
type Account = Awaited<ReturnType<typeof account>>

/** Over its plan's 100 messages with no balance and no grace running: can-respond denies (`over_limit`). */
const overLimit = (o: AccountOptions = {}) => account({ limits: { messages: 100 }, messagesUsed: 100, ...o })

/** A form post of the signed-in admin that must succeed (303, or 200 for a page that shows a new key). */
async function post(fx: Account, path: string, form: Record<string, string> = {}, status = 303) {
  const res = await fx.web.post(path, form)
  expect(res.status, `POST ${path}`).toBe(status)
  return res.text()
}

/** What `ops suspend|resume|credit` does with HUB_URL set (scripts/ops/cli.ts): the action, then tells the hub. */
async function ops(fx: Account, action: (db: Database, customer: Awaited<ReturnType<typeof findCustomer>>) => unknown) {
  await action(fx.db, await findCustomer(fx.db, fx.customer.id))
  const told = await runtime.fetch(`/api/internal/customers/${fx.customer.id}/state/refresh`, {
    method: 'POST',
    headers: internalHeaders(),
  })
  expect(told.status).toBe(200)
}

/** A Stripe event delivered to the webhook, which must apply it. */
async function webhook(event: ReturnType<typeof stripeEvent>) {
  const res = await deliver(event)
  expect(res.status).toBe(200)
}

// ---------------------------------------------------------------------------------------------
// Cells.

const READERS = ['canRespond', 'config', 'validateKey'] as const
type Reader = (typeof READERS)[number]
const READER_NAMES: Record<Reader, string> = {
  canRespond: 'can-respond',
  config: 'config',
  validateKey: 'validate-key',
}

/** What a writer hands the cells: a key or agent that did not exist before it. */
interface Written {
  newKey?: string
  newAgentId?: string
  planSlug?: string
}

type Shape = { status?: number; body?: Record<string, unknown> }
type Before = Record<Reader, HotAnswer>

interface Probe {
  /** The agent (can-respond, config) or key (validate-key) asked about; the fixture's by default. */
  on?: (fx: Account, written: Written) => string
  /** Null: answers exactly as before the write. */
  expected: ((fx: Account, written: Written, before: Before) => Shape) | null
}
type Cell = Probe | Probe[]

/** The writer does not change this answer. */
const unchanged: Probe = { expected: null }
/** The answer after the write. */
const answers = (expected: Shape | ((fx: Account, written: Written, before: Before) => Shape), on?: Probe['on']) => ({
  expected: typeof expected === 'function' ? expected : () => expected,
  on,
})
/** For a writer that hands the cells nothing. */
const none = (): Written => ({})
const newKey = (_fx: Account, w: Written) => w.newKey as string
const newAgent = (_fx: Account, w: Written) => w.newAgentId as string
/** A config_version other than the one before the write. */
const versionOtherThan = (before: Before) =>
  expect.not.stringMatching(new RegExp(`^${String(before.config.body.config_version)}$`))

interface Row {
  writer: string
  fixture: () => Promise<Account>
  write: (fx: Account) => Promise<Written>
  canRespond: Cell
  config: Cell
  validateKey: Cell
}

// ---------------------------------------------------------------------------------------------
// The table.

const TABLE: Row[] = [
  {
    writer: 'deactivate agent (web)',
    fixture: () => account(),
    write: (fx) => post(fx, `/agents/${fx.agentId}/deactivate`).then(none),
    canRespond: answers({ status: 403 }), // the agent is inactive
    config: answers({ status: 403 }),
    validateKey: answers({ status: 200, body: { valid: true, is_active: false } }),
  },
  {
    writer: 'activate agent again (web)',
    fixture: async () => {
      const fx = await account()
      await post(fx, `/agents/${fx.agentId}/deactivate`)
      return fx
    },
    write: (fx) => post(fx, `/agents/${fx.agentId}/activate`).then(none),
    // An inactive agent's can-respond is never held in memory (see `warm`): no isolate has it to forget.
    canRespond: answers({ status: 200, body: { allowed: true, reason_code: null } }),
    config: answers({ status: 200, body: { is_active: true, billing: { can_respond: true } } }),
    validateKey: answers({ status: 200, body: { valid: true, is_active: true } }),
  },
  {
    writer: 'rotate key (web)',
    fixture: () => account(),
    write: async (fx) => ({ newKey: shownApiKey(await post(fx, `/agents/${fx.agentId}/rotate-key`, {}, 200)) }),
    canRespond: unchanged,
    config: unchanged, // the key is not part of the config (nor of its version)
    validateKey: [
      answers({ status: 200, body: { valid: false } }), // the old key
      answers((fx) => ({ status: 200, body: { valid: true, agent_instance_id: fx.agentId } }), newKey),
    ],
  },
  {
    writer: 'agent configuration edit (web)',
    fixture: () => account(),
    write: (fx) => post(fx, `/agents/${fx.agentId}/configuration`, { agent_name: 'Front desk' }).then(none),
    canRespond: unchanged,
    config: answers((_fx, _w, before) => ({
      status: 200,
      body: {
        identity: { name: 'Front desk' },
        configuration: { agent_name: 'Front desk' },
        config_version: versionOtherThan(before),
      },
    })),
    validateKey: answers({ status: 200, body: { valid: true, name: 'Front desk' } }), // the agent's name
  },
  {
    writer: 'knowledge base rename (web)',
    fixture: () => account({ knowledgeBase: true }),
    write: (fx) => post(fx, `/knowledge/${fx.kb?.id}`, { name: 'Returns', description: '' }).then(none),
    canRespond: unchanged,
    config: answers((fx, _w, before) => ({
      status: 200,
      body: { knowledge_base: { id: fx.kb?.id, name: 'Returns' }, config_version: versionOtherThan(before) },
    })),
    validateKey: unchanged, // knowledge_base_id stays
  },
  {
    writer: 'knowledge base delete (web)',
    fixture: () => account({ knowledgeBase: true }),
    write: (fx) => post(fx, `/knowledge/${fx.kb?.id}/delete`).then(none),
    canRespond: unchanged,
    config: answers((_fx, _w, before) => ({
      status: 200,
      body: { knowledge_base: null, config_version: versionOtherThan(before) },
    })),
    validateKey: answers({ status: 200, body: { valid: true, knowledge_base_id: null } }),
  },
  {
    writer: 'ops suspend',
    fixture: () => account(),
    write: (fx) => ops(fx, (db, c) => suspendCustomer(db, c, 'edge-test', 'abuse report')).then(none),
    canRespond: answers({ status: 200, body: { allowed: false, reason_code: 'customer_suspended' } }),
    config: answers({ status: 403 }), // the customer is suspended
    validateKey: answers({ status: 200, body: { valid: false } }),
  },
  {
    writer: 'ops resume (after suspend)',
    fixture: async () => {
      const fx = await account()
      await ops(fx, (db, c) => suspendCustomer(db, c, 'edge-test', 'abuse report'))
      return fx
    },
    write: (fx) => ops(fx, (db, c) => resumeCustomer(db, c, 'edge-test', 'cleared')).then(none),
    canRespond: answers({ status: 200, body: { allowed: true, reason_code: null } }),
    config: answers({ status: 200, body: { is_active: true, billing: { can_respond: true } } }),
    validateKey: answers({ status: 200, body: { valid: true, is_active: true } }),
  },
  {
    writer: 'ops credit (over limit)',
    fixture: () => overLimit(),
    write: (fx) => ops(fx, (db, c) => creditCustomer(db, c, 2_000, 'edge-test', 'goodwill')).then(none),
    canRespond: answers({
      status: 200,
      body: { allowed: true, reason_code: 'over_limit_balance', extra_balance_cents: 2_000 },
    }),
    config: answers({ status: 200, body: { billing: { can_respond: true, extra_balance_cents: 2_000 } } }),
    validateKey: unchanged,
  },
  {
    writer: 'grace expiry cron (over limit)',
    fixture: () => overLimit({ customer: { gracePeriodEndsAt: days(3) } }), // allowed: over_limit_grace
    write: async (fx) => {
      await fx.db.update(customers).set({ gracePeriodEndsAt: ENDED }).where(eq(customers.id, fx.customer.id))
      await runtime.scheduled(GRACE_EXPIRY_CRON, JOB_TIME)
      return {}
    },
    canRespond: answers({ status: 403 }), // billing switched the agent off
    config: answers({ status: 403 }),
    validateKey: answers({ status: 200, body: { valid: true, is_active: false } }),
  },
  {
    writer: 'top-up (Stripe webhook)',
    fixture: () => overLimit(),
    write: (fx) => webhook(topUpEvent(fx.customer, 1_500)).then(none),
    canRespond: answers({
      status: 200,
      body: { allowed: true, reason_code: 'over_limit_balance', extra_balance_cents: 1_500 },
    }),
    config: answers({ status: 200, body: { billing: { can_respond: true, extra_balance_cents: 1_500 } } }),
    validateKey: unchanged,
  },
  {
    writer: 'plan change (Stripe webhook)',
    fixture: () => overLimit(),
    write: async (fx) => {
      const pro = await fx.f.plan({ name: `Pro${uniq()}`, limits: { messages: 1000 } })
      const seconds = (d: Date) => Math.floor(d.getTime() / 1000)
      const upgraded = stripeSubscription({
        id: fx.subscription.stripeSubscriptionId as string,
        customer: fx.customer.stripeCustomerId as string,
        priceId: pro.stripePriceId as string,
        periodStart: seconds(fx.subscription.currentPeriodStart),
        periodEnd: seconds(fx.subscription.currentPeriodEnd),
      })
      await webhook(stripeEvent('customer.subscription.updated', upgraded))
      return { planSlug: pro.slug }
    },
    canRespond: answers((_fx, w) => ({
      status: 200,
      body: { allowed: true, plan: w.planSlug, limits: { messages: 1000 }, usage_remaining: { messages: 900 } },
    })),
    config: answers((_fx, w) => ({
      status: 200,
      body: { billing: { can_respond: true, plan: w.planSlug, limits: { messages: 1000 } } },
    })),
    validateKey: unchanged,
  },
  {
    writer: 'trial expiry cron',
    // The hub's own trial (no Stripe subscription), running: allowed.
    fixture: () => account({ subscription: { status: 'trialing', trialEndsAt: days(3), stripeSubscriptionId: null } }),
    write: async (fx) => {
      await fx.db.update(subscriptions).set({ trialEndsAt: ENDED }).where(eq(subscriptions.id, fx.subscription.id))
      await runtime.scheduled(TRIAL_EXPIRY_CRON, TRIAL_JOB_TIME)
      return {}
    },
    canRespond: answers({
      status: 200,
      body: { allowed: false, reason_code: 'subscription_inactive', subscription_status: 'expired' },
    }),
    config: answers({ status: 200, body: { billing: { can_respond: false, subscription_status: 'expired' } } }),
    validateKey: unchanged,
  },
  {
    writer: 'usage ingest (usage batch)',
    fixture: () => account(),
    write: async (fx) => {
      const res = await postBatch([report(fx.agentId, { messages: 3, input_tokens: 40, output_tokens: 2 })])
      expect(res.status).toBe(200)
      return {}
    },
    canRespond: answers({
      status: 200,
      body: {
        allowed: true,
        usage: { messages: 3, tokens: 42, input_tokens: 40, output_tokens: 2 },
        usage_remaining: { messages: 997, tokens: 1_000_000 - 42 },
      },
    }),
    // Usage is in the config's billing, not in its version.
    config: answers((_fx, _w, before) => ({
      status: 200,
      body: { billing: { usage: { messages: 3 } }, config_version: before.config.body.config_version },
    })),
    validateKey: unchanged,
  },
  {
    writer: 'usage ingest reaching the limit',
    fixture: () => account({ limits: { messages: 100 }, messagesUsed: 90 }),
    write: async (fx) => {
      const res = await postBatch([report(fx.agentId, { messages: 10 })])
      expect(res.status).toBe(200)
      return {}
    },
    // Reaching the limit starts a grace period: the batch tells the object to reload, not only its totals.
    canRespond: answers({
      status: 200,
      body: { allowed: true, reason_code: 'over_limit_grace', in_grace_period: true, over_limit: ['messages'] },
    }),
    config: answers((_fx, _w, before) => ({
      status: 200,
      body: {
        billing: { can_respond: true, reason_code: 'over_limit_grace' },
        config_version: versionOtherThan(before),
      },
    })),
    validateKey: unchanged,
  },
  {
    writer: 'wizard creates an agent (web)',
    fixture: () => account(),
    write: async (fx) => {
      const type = await fx.f.agentType({
        onboardingSchema: {
          steps: [{ id: 'basics', fields: [{ name: 'agent_name', type: 'text', required: true }] }],
          knowledge_base: { enabled: false },
        },
      })
      await fx.web.page(`/agents/onboarding/${type.slug}`)
      const html = await post(fx, `/agents/onboarding/${type.slug}/step/basics`, { agent_name: 'Night desk' }, 200)
      const agent = await fx.db.query.agentInstances.findFirst({
        where: (a, { and, eq }) => and(eq(a.customerId, fx.customer.id), eq(a.name, 'Night desk')),
      })
      return { newKey: shownApiKey(html), newAgentId: agent?.id }
    },
    // The cells ask about the new agent and its key (the warmed answers are the customer's first agent's).
    canRespond: answers((_fx, w) => ({ status: 200, body: { allowed: true, agent_id: w.newAgentId } }), newAgent),
    config: answers(
      (_fx, w) => ({ status: 200, body: { agent_id: w.newAgentId, identity: { name: 'Night desk' } } }),
      newAgent,
    ),
    validateKey: answers(
      (_fx, w) => ({ status: 200, body: { valid: true, agent_instance_id: w.newAgentId, name: 'Night desk' } }),
      newKey,
    ),
  },
]

// ---------------------------------------------------------------------------------------------
// Running a row.

const probesOf = (row: Row): Array<[Reader, Probe]> =>
  READERS.flatMap((reader) => [row[reader]].flat().map((probe): [Reader, Probe] => [reader, probe]))

const ask = (reader: Reader, target: string) => edge[reader](target)
const defaultTarget = (reader: Reader, fx: Account) => (reader === 'validateKey' ? fx.key : fx.agentId)
const targetOf = (reader: Reader, probe: Probe, fx: Account, written: Written) =>
  probe.on ? probe.on(fx, written) : defaultTarget(reader, fx)

/**
 * Each call asked until it is answered from this isolate's memory. One answer never is: the
 * can-respond of an inactive agent, whose copy holds no lease (src/edge/customer-state.ts), comes from
 * the object every time, so no isolate holds it to go stale.
 */
async function warm(fx: Account): Promise<Before> {
  const before = {} as Before
  for (const reader of READERS) {
    let answer: HotAnswer | undefined
    for (let i = 0; i < 4 && answer?.source !== 'l1'; i++) answer = await ask(reader, defaultTarget(reader, fx))
    const heldNowhere = reader === 'canRespond' && answer?.status === 403
    expect(answer?.source, `${READER_NAMES[reader]} warmed`).toBe(heldNowhere ? 'do' : 'l1')
    before[reader] = answer as HotAnswer
  }
  return before
}

/** A cell that expects a change must not hold already (the fixture's own answers, before the write). */
function expectChangeToCome(row: Row, fx: Account, before: Before) {
  for (const [reader, probe] of probesOf(row)) {
    if (probe.expected === null || probe.on) continue
    const what = `${row.writer} → ${READER_NAMES[reader]}: already so before the write`
    expect(matches(before[reader], probe.expected(fx, {}, before)), what).toBe(false)
  }
}

const withoutAsOf = ({ as_of: _asOf, ...body }: Record<string, unknown>) => body
function expectSameAs(answer: HotAnswer, before: HotAnswer, what: string) {
  expect({ status: answer.status, body: withoutAsOf(answer.body) }, what).toEqual({
    status: before.status,
    body: withoutAsOf(before.body),
  })
}

function matches(answer: HotAnswer, shape: Shape): boolean {
  try {
    expect(answer).toMatchObject(shape)
    return true
  } catch {
    return false
  }
}

/**
 * An answer from this isolate's memory of before the write: from memory, and (can-respond, config)
 * confirmed against Postgres before the write started. Can-respond and config share one entry per
 * agent, so either call may have fetched the state the other is answered from.
 */
const heldFromBefore = (answer: HotAnswer, started: number) =>
  answer.source === 'l1' && !(typeof answer.body.as_of === 'string' && Date.parse(answer.body.as_of) >= started)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Worst delay per cell (ms, or 'unchanged'), for the printout. */
const measured = new Map<string, Partial<Record<Reader, number | 'unchanged'>>>()
function record(row: Row, reader: Reader, delay: number | 'unchanged') {
  const cells = measured.get(row.writer) ?? {}
  const known = cells[reader]
  cells[reader] = typeof known === 'number' && typeof delay === 'number' ? Math.max(known, delay) : delay
  measured.set(row.writer, cells)
}

afterAll(() => {
  const pad = (text: string, width: number) => text.padEnd(width)
  const cell = (v: number | 'unchanged' | undefined) =>
    v === undefined ? '-' : v === 'unchanged' ? 'unchanged' : `${v} ms`
  const lines = [
    `${pad('writer', 34)}${READERS.map((r) => pad(READER_NAMES[r], 14)).join('')}`,
    ...TABLE.filter((row) => measured.has(row.writer)).map(
      (row) => `${pad(row.writer, 34)}${READERS.map((r) => pad(cell(measured.get(row.writer)?.[r]), 14)).join('')}`,
    ),
  ]
  console.log(`[writers × readers] worst delay until an isolate nobody told answers it:\n${lines.join('\n')}`)
})

describe('writers × readers: every writer reaches all three calls', () => {
  it.each(TABLE)("$writer: the writer's own isolate answers it on the very next call", async (row) => {
    const fx = await row.fixture()
    const before = await warm(fx)
    expectChangeToCome(row, fx, before)
    const written = await row.write(fx)
    for (const [reader, probe] of probesOf(row)) {
      const answer = await ask(reader, targetOf(reader, probe, fx, written))
      const what = `${row.writer} → ${READER_NAMES[reader]}`
      if (probe.expected === null) expectSameAs(answer, before[reader], what)
      else expect(answer, what).toMatchObject(probe.expected(fx, written, before))
    }
  })

  it('control: a change nobody announces is still answered from memory on the next call', async () => {
    // What the own-isolate half of the table relies on: its answers there come from the writer telling
    // (this isolate forgets, the object reloads), not from memory that happened to expire.
    const fx = await account()
    const before = await warm(fx)
    await fx.db.update(agentInstances).set({ isActive: false }).where(eq(agentInstances.id, fx.agentId))
    const answer = await edge.config(fx.agentId)
    expect(answer.source).toBe('l1')
    expectSameAs(answer, before.config, 'config after an unannounced change')
  })

  it.each(TABLE)(`$writer: an isolate nobody told answers it within ${BOUND_MS} ms`, async (row) => {
    const fx = await row.fixture()
    const before = await warm(fx)
    expectChangeToCome(row, fx, before)
    const restore = captureIsolateMemory()
    const started = Date.now()
    const written = await row.write(fx)
    const end = Date.now()
    restore()
    await Promise.all(
      probesOf(row).map(async ([reader, probe]) => {
        const read = () => ask(reader, targetOf(reader, probe, fx, written))
        const what = `${row.writer} → ${READER_NAMES[reader]}`
        if (probe.expected === null) {
          // Every answer, from what the isolate held and then from the state reloaded since, is the one from before.
          let answer: HotAnswer
          do {
            answer = await read()
            expectSameAs(answer, before[reader], what)
            expect(Date.now() - end, `${what}: still answered from before the write`).toBeLessThanOrEqual(BOUND_MS)
            if (heldFromBefore(answer, started)) await sleep(50)
          } while (heldFromBefore(answer, started))
          record(row, reader, 'unchanged')
          return
        }
        const shape = probe.expected(fx, written, before)
        const delay = await timeUntil(read, (a) => matches(a, shape), BOUND_MS, end)
        // And it stays so: the next answers (from the object, then from memory) say the same.
        for (let i = 0; i < 2; i++) expect(await read(), what).toMatchObject(shape)
        record(row, reader, delay)
      }),
    )
  })
})
