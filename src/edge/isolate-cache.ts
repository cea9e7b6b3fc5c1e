/**
 * The first level of the hot path: answers kept in this isolate's memory. Entries know their
 * customer, so a writer in this isolate drops that customer's at once; other isolates' entries
 * expire by age (the reader says how old it accepts). Bounded: the least recently written go first.
 * Concurrent misses of one key share one fetch (single-flight), unless the customer changed since it
 * started: then a new caller starts a new fetch, and the old one's answer is not kept.
 */
export class IsolateCache<V> {
  private readonly entries = new Map<string, { value: V; storedAt: number; customerId: string | null }>()
  private readonly inFlight = new Map<string, { started: Promise<unknown>; customerId: string | null }>()
  /** Bumped when a customer's entries are dropped; a fetch started before keeps nothing. */
  private readonly changes = new Map<string, number>()
  private readonly maxEntries: number

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries
  }

  /** The value stored under `key` at most `maxAgeMs` ago. */
  get(key: string, maxAgeMs: number, now = Date.now()): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (now - entry.storedAt > maxAgeMs) return undefined
    return entry.value
  }

  set(key: string, value: V, customerId: string | null, now = Date.now()) {
    this.entries.delete(key)
    this.entries.set(key, { value, storedAt: now, customerId })
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
  }

  /** Drops every entry of the customer (a writer in this isolate changed it), and its fetches under way. */
  forgetCustomer(customerId: string) {
    for (const [key, entry] of this.entries) if (entry.customerId === customerId) this.entries.delete(key)
    for (const [key, flight] of this.inFlight) if (flight.customerId === customerId) this.inFlight.delete(key)
    this.changes.set(customerId, (this.changes.get(customerId) ?? 0) + 1)
    if (this.changes.size > this.maxEntries) this.changes.clear()
  }

  clear() {
    this.entries.clear()
    this.inFlight.clear()
  }

  /** A copy of the entries and a way back to it (tests: an isolate that was not told of a change). */
  capture(): () => void {
    const copy = new Map(this.entries)
    return () => {
      this.entries.clear()
      for (const [key, entry] of copy) this.entries.set(key, entry)
    }
  }

  /**
   * Runs `fetch` once for concurrent callers of the same key; all of them get its result, and
   * `keep` decides what of it to store, unless the customer changed while it ran.
   */
  once<T>(key: string, customerId: string | null, fetch: () => Promise<T>, keep: (result: T) => V | undefined) {
    const running = this.inFlight.get(key)
    if (running) return running.started as Promise<T>
    const changesBefore = customerId === null ? 0 : (this.changes.get(customerId) ?? 0)
    const started = fetch().then((result) => {
      const unchanged = customerId === null || (this.changes.get(customerId) ?? 0) === changesBefore
      const value = unchanged ? keep(result) : undefined
      if (value !== undefined) this.set(key, value, customerId)
      return result
    })
    const flight = { started, customerId }
    this.inFlight.set(key, flight)
    const done = () => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key)
    }
    started.then(done, done)
    return started
  }
}
