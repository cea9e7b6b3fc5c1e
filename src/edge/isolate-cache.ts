/**
 * The first level of the hot path: answers kept in this isolate's memory. Entries know their
 * customer, so a writer in this isolate drops that customer's at once; other isolates' entries
 * expire by age (the reader says how old it accepts). Bounded: the least recently written go first.
 * Concurrent misses of one key share one fetch (single-flight).
 */
export class IsolateCache<V> {
  private readonly entries = new Map<string, { value: V; storedAt: number; customerId: string | null }>()
  private readonly inFlight = new Map<string, Promise<unknown>>()

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

  delete(key: string) {
    this.entries.delete(key)
  }

  /** Drops every entry of the customer (a writer in this isolate changed it). */
  forgetCustomer(customerId: string) {
    for (const [key, entry] of this.entries) if (entry.customerId === customerId) this.entries.delete(key)
  }

  clear() {
    this.entries.clear()
  }

  /** A copy of the entries and a way back to it (tests: an isolate that was not told of a change). */
  capture(): () => void {
    const copy = new Map(this.entries)
    return () => {
      this.entries.clear()
      for (const [key, entry] of copy) this.entries.set(key, entry)
    }
  }

  /** Runs `fetch` once for concurrent callers of the same key; all of them get its result. */
  once<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined
    if (running) return running
    const started = fetch().finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, started)
    return started
  }
}
