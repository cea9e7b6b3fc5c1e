import { type ApiKeyRecord, apiKeyPrefixOf, hashApiKey, lookupApiKey } from '../agents/api-keys'
import { readAgentConfigRow } from '../agents/config'
import { canRespondFromRow, readCanRespondRow } from '../billing/rules/can-respond'
import { dbSettingsOf } from '../db/client'
import { Unavailable } from '../errors'
import type { Services } from '../http/services'
import { withTimeout } from '../platform/timeout'
import type { Bindings } from '../types'
import { freshnessOf } from './freshness'
import { IsolateCache } from './isolate-cache'
import type { AgentView, StateAnswer, StateRequest } from './types'

/** Where an answer came from: this isolate's memory, the customer's Durable Object, or Postgres. */
export type Source = 'l1' | 'do' | 'db'

export interface HotPathContext {
  env: Bindings
  services: Services
}

export interface Sourced<T> {
  value: T
  source: Source
  /** When the state behind the answer was last confirmed against Postgres. */
  asOf: Date
}

/** The customer's Durable Object could answer only from state too old or known to be behind. */
export const STATE_UNAVAILABLE_MESSAGE = 'Billing state cannot be confirmed right now; try again shortly.'

const MAX_ENTRIES = 20_000
/** Longer than any answer the object gives when it is healthy (a reload is one statement). */
const OBJECT_TIMEOUT_MS = 5_000

interface CachedView {
  view: AgentView
  asOf: number
  /** Allowed can-respond answers this isolate may still give from this view. */
  leaseLeft: number
}

/**
 * What never changes once known: an agent's customer and a key hash's customer (a rotated key's hash
 * keeps its customer; the customer's object says the key no longer opens anything).
 */
const agentCustomers = new IsolateCache<string>(MAX_ENTRIES)
const keyCustomers = new IsolateCache<string>(MAX_ENTRIES)
/** Agents and keys Postgres did not know, briefly (an id a runtime keeps retrying costs one read a second). */
const unknownAgents = new IsolateCache<number>(MAX_ENTRIES)
const unknownKeys = new IsolateCache<number>(MAX_ENTRIES)
/** The objects' answers. */
const agentViews = new IsolateCache<CachedView>(MAX_ENTRIES)
const keyRecords = new IsolateCache<{ record: ApiKeyRecord | null; asOf: number }>(MAX_ENTRIES)

/** A writer in this isolate changed the customer: its answers here are gone at once. */
export function forgetCustomer(customerId: string) {
  agentViews.forgetCustomer(customerId)
  keyRecords.forgetCustomer(customerId)
}

const caches = [agentCustomers, keyCustomers, unknownAgents, unknownKeys, agentViews, keyRecords]

/** Empties this isolate's hot-path memory (tests that need a cold isolate). */
export function forgetEverything() {
  for (const cache of caches) cache.clear()
}

/**
 * This isolate's hot-path memory as it is now, and a way back to it. Tests put it back after a
 * writer ran here, to see what an isolate that was not told of the change answers.
 */
export function captureIsolateMemory(): () => void {
  const restores = caches.map((cache) => cache.capture())
  return () => {
    for (const restore of restores) restore()
  }
}

const edgeOn = (ctx: HotPathContext) => ctx.services.config.EDGE_STATE === 'on' && ctx.env.CUSTOMER_STATE !== undefined

export function customerState(env: Bindings, customerId: string) {
  return env.CUSTOMER_STATE.getByName(customerId)
}

/** Asks the customer's object; null when it cannot be reached (the caller falls back to Postgres). */
async function askObject<T>(
  ctx: HotPathContext,
  customerId: string,
  ask: (request: StateRequest) => Promise<unknown>,
): Promise<StateAnswer<T> | null> {
  const request = {
    customerId,
    freshness: freshnessOf(ctx.services.config),
    database: dbSettingsOf(ctx.services.config),
  }
  try {
    // RPC hands back the object's own plain answer; its type is the method's.
    const answer = (await withTimeout(ask(request), OBJECT_TIMEOUT_MS, "the customer's state object")) as StateAnswer<T>
    ctx.services.countStatements(answer.statements)
    return answer
  } catch (error) {
    ctx.services.logger.warn('customer state object unreachable; answering from the database', {
      customer_id: customerId,
      error,
    })
    return null
  }
}

export type AgentCall = 'config' | 'can-respond'

/** The customer's object could not confirm its state (see `STATE_UNAVAILABLE_MESSAGE`). */
export class Unconfirmed {
  readonly customerId: string

  constructor(customerId: string) {
    this.customerId = customerId
  }
}

/**
 * The row `readWithCallerCheck` gives for an agent's config or can-respond, from the nearest place
 * that may answer. A call naming another agent in X-Agent-Instance-ID (an error anyway) and an agent
 * this isolate has not seen go to Postgres, as before, which teaches the isolate the agent's customer.
 * A can-respond that would be allowed is answered here only within the lease the object granted.
 * The object being unreachable also means Postgres; the object unable to confirm its state means
 * `unavailable` (can-respond then denies, config answers 503).
 */
export async function readAgentRow(
  ctx: HotPathContext,
  call: AgentCall,
  agentId: string,
  callerId: string | null,
): Promise<Sourced<Record<string, unknown> | Unconfirmed>> {
  const fromDatabase = () => readAgentRowFromDatabase(ctx, call, agentId, callerId)
  if (!edgeOn(ctx) || (callerId !== null && callerId !== agentId)) return fromDatabase()
  const { isolateTtlMs } = freshnessOf(ctx.services.config)
  const unknownSince = unknownAgents.get(agentId, isolateTtlMs)
  if (unknownSince !== undefined)
    return { value: unknownAgentRow(callerId), source: 'l1', asOf: new Date(unknownSince) }
  const customerId = agentCustomers.get(agentId, Number.POSITIVE_INFINITY)
  if (customerId === undefined) return fromDatabase()

  const cached = agentViews.get(agentId, isolateTtlMs)
  if (cached && mayAnswer(cached, call)) return fromView(cached, callerId, 'l1')

  const fetched = await agentViews.once(
    agentId,
    customerId,
    async () => {
      const answer = await askObject<AgentView>(ctx, customerId, (request) =>
        customerState(ctx.env, customerId).agentView({ ...request, agentId }),
      )
      if (answer?.status !== 'ok') return answer
      return { ...answer, entry: { view: answer.value, asOf: answer.asOf, leaseLeft: answer.value.lease.messages } }
    },
    (answer) => (answer?.status === 'ok' ? answer.entry : undefined),
  )
  if (fetched === null) return fromDatabase()
  if (fetched.status === 'unavailable') return { value: new Unconfirmed(customerId), source: 'do', asOf: new Date() }
  return fromView(fetched.entry, callerId, 'do')
}

/** A cached view answers config, a denial, or an allowed can-respond while its lease lasts (which this takes from). */
function mayAnswer(cached: CachedView, call: AgentCall): boolean {
  if (call === 'config' || cached.view.row === null) return true
  if (!canRespondFromRow(cached.view.row).allowed) return true
  if (cached.leaseLeft <= 0) return false
  cached.leaseLeft--
  return true
}

function fromView(entry: CachedView, callerId: string | null, source: Source): Sourced<Record<string, unknown>> {
  const row = entry.view.row
  const value = row
    ? { ...row, caller_active: callerId === null ? null : row.agent_is_active }
    : unknownAgentRow(callerId)
  return { value, source, asOf: new Date(entry.asOf) }
}

/** `readWithCallerCheck`'s row for an agent that does not exist, called by itself or by nobody. */
const unknownAgentRow = (_callerId: string | null): Record<string, unknown> => ({ caller_active: null, agent_id: null })

async function readAgentRowFromDatabase(
  ctx: HotPathContext,
  call: AgentCall,
  agentId: string,
  callerId: string | null,
): Promise<Sourced<Record<string, unknown>>> {
  const { db } = ctx.services.database
  const row = await (call === 'config' ? readAgentConfigRow : readCanRespondRow)(db, callerId, agentId)
  if (typeof row.customer_id === 'string') agentCustomers.set(agentId, row.customer_id, null)
  else if (row.agent_id == null) unknownAgents.set(agentId, Date.now(), null)
  return { value: row, source: 'db', asOf: new Date() }
}

/**
 * The record of an API key from the nearest place that may answer: a key not of our format is
 * refused without a look anywhere; a key this isolate has not seen is looked up in Postgres (which
 * teaches the isolate its customer); the rest come from the customer's object or its cached answer.
 */
export async function readKeyRecord(ctx: HotPathContext, key: string): Promise<Sourced<ApiKeyRecord | null>> {
  const now = new Date()
  if (!apiKeyPrefixOf(key)) return { value: null, source: 'l1', asOf: now }
  const fromDatabase = async (): Promise<Sourced<ApiKeyRecord | null>> => {
    const record = await lookupApiKey(ctx.services.database.db, key)
    const hash = await hashApiKey(key)
    if (record) keyCustomers.set(hash, record.owner.customerId, null)
    else unknownKeys.set(hash, Date.now(), null)
    return { value: record, source: 'db', asOf: new Date() }
  }
  if (!edgeOn(ctx)) return fromDatabase()
  const { isolateTtlMs } = freshnessOf(ctx.services.config)
  const hash = await hashApiKey(key)
  const unknownSince = unknownKeys.get(hash, isolateTtlMs)
  if (unknownSince !== undefined) return { value: null, source: 'l1', asOf: new Date(unknownSince) }
  const customerId = keyCustomers.get(hash, Number.POSITIVE_INFINITY)
  if (customerId === undefined) return fromDatabase()
  const cached = keyRecords.get(hash, isolateTtlMs)
  if (cached) return { value: cached.record, source: 'l1', asOf: new Date(cached.asOf) }

  const answer = await keyRecords.once(
    hash,
    customerId,
    () =>
      askObject<ApiKeyRecord | null>(ctx, customerId, (request) =>
        customerState(ctx.env, customerId).keyRecord({ ...request, hash }),
      ),
    (answer) => (answer?.status === 'ok' ? { record: answer.value, asOf: answer.asOf } : undefined),
  )
  if (answer === null) return fromDatabase()
  if (answer.status === 'unavailable') throw new Unavailable(STATE_UNAVAILABLE_MESSAGE)
  return { value: answer.value, source: 'do', asOf: new Date(answer.asOf) }
}
