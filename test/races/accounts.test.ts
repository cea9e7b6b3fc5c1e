import { eq, sql } from 'drizzle-orm'
import { afterEach, expect, it, vi } from 'vitest'
import { LOGIN_LIMITS } from '../../src/customers/login'
import { customers, customerUsers } from '../../src/db/schema'
import { testDb } from '../support/db'
import { uniq } from '../support/factories'
import { BASE } from '../support/http'
import { atOnce, type TaggedWorker } from '../support/race-requests'
import { CONCURRENCY, describeOnPostgres, reportFigures, taggedWorker } from '../support/races'

const PASSWORD = 'correct horse battery staple'

/** Everything the Worker writes to the console while `work` runs. */
async function captureLogs<T>(work: () => Promise<T>) {
  const lines: string[] = []
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    })
  }
  try {
    return { result: await work(), lines }
  } finally {
    vi.restoreAllMocks()
  }
}

let networks = 0
/** An address in a network of its own, so the sign-up limits per address and per /24 never apply. */
const distinctNetwork = () => {
  networks++
  return `10.${Math.floor(networks / 250)}.${networks % 250}.7`
}

afterEach(() => {
  vi.restoreAllMocks()
})

function formPost(runtime: TaggedWorker, path: string, data: Record<string, string>, ip: string) {
  return runtime.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: BASE, 'CF-Connecting-IP': ip },
    body: new URLSearchParams(data),
    redirect: 'manual',
  })
}

describeOnPostgres('race: accounts', () => {
  it('the same email signed up many times at once: one account, a clear message for the rest, no hash in the logs', async () => {
    const { db } = testDb()
    const email = `twice-${uniq()}@example.com`
    const { result, lines } = await captureLogs(() =>
      atOnce(db, 'race-signup-email', (runtime) =>
        Array.from({ length: CONCURRENCY }, (_, i) =>
          formPost(
            runtime,
            '/signup',
            { company_name: `Twice ${uniq()} ${i}`, email, password: PASSWORD },
            distinctNetwork(),
          ),
        ),
      ),
    )
    const { results: responses, peakSessions } = result
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 303)).toHaveLength(1)
    expect(statuses.filter((s) => s === 422)).toHaveLength(CONCURRENCY - 1)
    for (const res of responses.filter((r) => r.status === 422)) {
      expect(await res.text()).toContain('An account with this email already exists. Log in instead.')
    }
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)

    const users = await db.select().from(customerUsers).where(sql`lower(${customerUsers.email}) = ${email}`)
    expect(users).toHaveLength(1)
    // The losers' customers were rolled back with their user rows: nothing half-created.
    expect(await db.select().from(customers).where(eq(customers.email, email))).toHaveLength(1)
    const hash = users[0]!.passwordHash!
    const leaked = lines.filter((l) => l.includes('pbkdf2-sha256$') || l.includes(hash) || l.includes(PASSWORD))
    expect(leaked).toEqual([])
    reportFigures('duplicate sign-up', { attempts: CONCURRENCY, accounts: users.length, peak_sessions: peakSessions })
  })

  it('the same company name signed up many times at once: every sign-up succeeds with its own slug', async () => {
    const { db } = testDb()
    const company = `Same Name ${uniq()}`
    const emails = Array.from({ length: CONCURRENCY }, () => `same-${uniq()}@example.com`)
    const { results: responses, peakSessions } = await atOnce(db, 'race-signup-company', (runtime) =>
      emails.map((email) =>
        formPost(runtime, '/signup', { company_name: company, email, password: PASSWORD }, distinctNetwork()),
      ),
    )
    expect(responses.map((r) => r.status)).toEqual(emails.map(() => 303))
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    const rows = await db.select({ slug: customers.slug }).from(customers).where(eq(customers.name, company))
    expect(rows).toHaveLength(CONCURRENCY)
    expect(new Set(rows.map((r) => r.slug)).size).toBe(CONCURRENCY)
  })

  // Each attempt is counted in the same statement that records it, before the password is checked.
  it('a burst of wrong passwords for one account from one address gets exactly the allowed guesses', async () => {
    const { db } = testDb()
    const email = `burst-${uniq()}@example.com`
    const signup = taggedWorker('race-login-setup')
    expect(
      (await formPost(signup, '/signup', { company_name: `Burst ${uniq()}`, email, password: PASSWORD }, '192.0.2.1'))
        .status,
    ).toBe(303)
    // Every attempt first records itself in attempt_counters: they all queue behind the test's
    // table lock, then race for the counter rows at once.
    const { results: responses, peakSessions } = await atOnce(
      db,
      'race-login-burst',
      (runtime) =>
        Array.from({ length: CONCURRENCY }, (_, i) =>
          formPost(runtime, '/login', { email, password: `wrong-guess-${i}` }, '192.0.2.77'),
        ),
      sql`LOCK TABLE attempt_counters IN SHARE MODE`,
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.accountFromAddress)
    expect(statuses.filter((s) => s === 429)).toHaveLength(CONCURRENCY - LOGIN_LIMITS.accountFromAddress)
    expect(peakSessions, 'sessions open at once').toBeGreaterThanOrEqual(20)
    reportFigures('login burst', {
      attempts: CONCURRENCY,
      refused_401: statuses.filter((s) => s === 401).length,
      throttled_429: statuses.filter((s) => s === 429).length,
      peak_sessions: peakSessions,
    })
  })
})
