import { DurableObject } from 'cloudflare:workers'
import type { ApiKeyRecord } from '../agents/api-keys'
import { canRespondFromRow } from '../billing/rules/can-respond'
import { createDb, type DbSettings } from '../db/client'
import { causeChain } from '../platform/cause-chain'
import { createLogger } from '../platform/logger'
import type { Bindings } from '../types'
import { LeaseBook } from './leases'
import { agentRowOf, type CustomerSnapshot, readCustomerSnapshot } from './snapshot'
import type { AgentView, StateAnswer, StateRequest, UsageTotals } from './types'

interface Loaded {
  version: number | null
  /** Epoch ms of the last time Postgres confirmed this version. */
  checkedAt: number
  snapshot: CustomerSnapshot | null
}

/** The innermost cause of a failed reload (drizzle's wrapper quotes the whole statement). */
const rootCause = (error: unknown) => [...causeChain(error)].at(-1)

/**
 * One customer's hot-path state at the edge: a versioned copy of what validate-key, config and
 * can-respond decide on, loaded from Postgres with one statement and kept in SQLite storage, so an
 * evicted object wakes up with it. Postgres stays the source of truth:
 * - writers call {@link refresh} after they commit (src/edge/publish.ts), usage ingest sends its totals;
 * - a lost notification or a change made by hand is caught by the version triggers: while the object
 *   has traffic it asks Postgres for the version every few seconds (the caller's {@link Freshness});
 * - a change it has been told of but could not load makes it unavailable, never wrong;
 * - with Postgres unreachable it answers from state confirmed at most `maxStaleMs` ago.
 */
export class CustomerState extends DurableObject<Bindings> {
  private loaded: Loaded | null = null
  /** Refreshes writers asked for, and the last one a successful reload covers (it started after it). */
  private requested = 0
  private confirmed = 0
  private reloading: Promise<number> | null = null
  private retryNotBefore = 0
  private readonly leases = new LeaseBook()
  private readonly log = createLogger({ component: 'customer-state' })

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), version REAL, checked_at REAL NOT NULL, snapshot TEXT, stale INTEGER NOT NULL DEFAULT 0)',
    )
    const [row] = ctx.storage.sql
      .exec<{ version: number | null; checked_at: number; snapshot: string | null; stale: number }>(
        'SELECT version, checked_at, snapshot, stale FROM state WHERE id = 1',
      )
      .toArray()
    if (row) {
      this.loaded = {
        version: row.version,
        checkedAt: row.checked_at,
        snapshot: row.snapshot ? (JSON.parse(row.snapshot) as CustomerSnapshot) : null,
      }
      if (row.stale === 1) this.requested = 1
    }
  }

  /** The agent's row for config and can-respond, with a can-respond lease for the caller's isolate cache. */
  async agentView(request: StateRequest & { agentId: string }): Promise<StateAnswer<AgentView>> {
    return this.answer(request, (snapshot, now) => {
      const agent = snapshot?.agents.find((a) => a.agent_id === request.agentId)
      if (!snapshot || !agent) return { row: null, lease: { messages: 0 } }
      const row = agentRowOf(snapshot, agent, null)
      const decision = canRespondFromRow(row, new Date(now))
      const lease = agent.agent_is_active
        ? this.leases.grant(decision, now, request.freshness.isolateTtlMs)
        : { messages: 0 }
      return { row, lease }
    })
  }

  /** The agent of this customer whose API key hashes to `hash`, with the customer's standing; null for none. */
  async keyRecord(request: StateRequest & { hash: string }): Promise<StateAnswer<ApiKeyRecord | null>> {
    return this.answer(request, (snapshot) => {
      const agent = snapshot?.agents.find((a) => a.api_key_hash === request.hash)
      if (!snapshot || !agent) return null
      return {
        owner: {
          id: agent.agent_id,
          customerId: agent.customer_id,
          isActive: agent.agent_is_active,
          name: agent.agent_name,
          knowledgeBaseId: agent.knowledge_base_id,
          agentType: agent.type_slug,
        },
        customerActive: snapshot.billing.customer_is_active === true,
      }
    })
  }

  /**
   * A writer committed a change to this customer: reload now, so the next answer has it. A reload
   * already running may have read before the commit, so this one waits for a reload that started
   * after it was called. When that fails the object stays unavailable until a reload succeeds: it
   * knows its copy is behind. Returns the statements run.
   */
  async refresh(request: Omit<StateRequest, 'freshness'>): Promise<number> {
    // Nothing held, nothing to correct: the first answer loads.
    if (!this.loaded) return 0
    const wanted = ++this.requested
    this.persist()
    let statements = 0
    try {
      while (this.confirmed < wanted) statements += await this.reload(request.customerId, request.database)
    } catch {
      statements += 1
    }
    return statements
  }

  /**
   * Usage ingest's totals for a period after its transaction committed. Totals only grow within a
   * period and each batch sends the sums it read under the customer's lock, so the largest seen wins
   * and batches may arrive in any order. The version moved too; the next check reloads anyway.
   */
  async applyUsage(request: { customerId: string; totals: UsageTotals }) {
    const billing = this.loaded?.snapshot?.billing
    if (!billing || Number(billing.current_period_start) !== request.totals.periodStart) return
    const { totals } = request
    billing.used_messages = Math.max(Number(billing.used_messages), totals.messages)
    billing.used_input_tokens = Math.max(Number(billing.used_input_tokens), totals.inputTokens)
    billing.used_output_tokens = Math.max(Number(billing.used_output_tokens), totals.outputTokens)
    this.persist()
  }

  private async answer<T>(
    request: StateRequest,
    read: (snapshot: CustomerSnapshot | null, now: number) => T,
  ): Promise<StateAnswer<T>> {
    const { freshness } = request
    let statements = 0
    const now = Date.now()
    const age = this.loaded ? now - this.loaded.checkedAt : Number.POSITIVE_INFINITY
    const mustReload = !this.loaded || this.isBehind() || age >= freshness.verifySyncAfterMs
    if (mustReload && now >= this.retryNotBefore) {
      statements += await this.reload(request.customerId, request.database).catch(() => 1)
    } else if (age >= freshness.verifyAfterMs && now >= this.retryNotBefore) {
      void this.reload(request.customerId, request.database).catch(() => 0)
    }
    const loaded = this.loaded
    const confirmedAge = loaded ? Date.now() - loaded.checkedAt : Number.POSITIVE_INFINITY
    if (!loaded || this.isBehind() || confirmedAge > freshness.maxStaleMs) return { status: 'unavailable', statements }
    return { status: 'ok', value: read(loaded.snapshot, Date.now()), asOf: loaded.checkedAt, statements }
  }

  private isBehind() {
    return this.confirmed < this.requested
  }

  /**
   * Confirms or replaces the copy with one statement (the snapshot comes back only when the version
   * moved, or a writer asked); one reload at a time. A failure waits a second before the next attempt, so an outage
   * does not cost every answer a connect timeout.
   */
  private reload(customerId: string, database: DbSettings): Promise<number> {
    this.reloading ??= (async () => {
      const covers = this.requested
      const handle = createDb(database, this.log)
      try {
        // A writer's word reloads everything, whatever the version says (a table without a trigger, a
        // version bumped by hand): the version check is for changes nobody announced.
        const known = this.confirmed < covers ? null : (this.loaded?.version ?? null)
        const read = await readCustomerSnapshot(handle.db, customerId, known)
        const checkedAt = Date.now()
        if (read.snapshot || read.version === null || !this.loaded) {
          this.loaded = { version: read.version, checkedAt, snapshot: read.snapshot }
        } else {
          this.loaded.checkedAt = checkedAt
        }
        this.confirmed = Math.max(this.confirmed, covers)
        this.persist()
        return handle.stats.statements
      } catch (error) {
        this.retryNotBefore = Date.now() + 1_000
        this.log.warn('customer state reload failed', { customer_id: customerId, error: rootCause(error) })
        throw error
      } finally {
        this.reloading = null
        this.ctx.waitUntil(handle.close())
      }
    })()
    return this.reloading
  }

  private persist() {
    const loaded = this.loaded
    this.ctx.storage.sql.exec(
      'INSERT OR REPLACE INTO state (id, version, checked_at, snapshot, stale) VALUES (1, ?, ?, ?, ?)',
      loaded?.version ?? null,
      loaded?.checkedAt ?? 0,
      loaded?.snapshot ? JSON.stringify(loaded.snapshot) : null,
      this.isBehind() ? 1 : 0,
    )
  }
}
