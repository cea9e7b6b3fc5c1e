import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { networkOf } from '../../src/customers/attempt-limits'
import { LOGIN_LIMITS } from '../../src/customers/login'
import { SIGNUP_LIMITS } from '../../src/customers/signup'
import { testDb } from '../support/db'
import { uniq } from '../support/factories'
import { BASE, call } from '../support/http'
import { WebClient } from '../support/web-client'

const PASSWORD = 'correct horse battery'

async function account() {
  const { db } = testDb()
  const owner = new WebClient()
  await owner.page('/signup')
  const email = `burst-${uniq()}@example.com`
  const res = await owner.post('/signup', { company_name: `Burst ${uniq()}`, email, password: PASSWORD })
  expect(res.status).toBe(303)
  return { db, email, owner }
}

/** A login form post sent straight to the Worker, from `address`. */
const attempt = (email: string, password: string, address: string) =>
  call('/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: BASE, 'CF-Connecting-IP': address },
    body: new URLSearchParams({ email, password }),
  })

const statuses = (responses: Response[]) =>
  responses.reduce<Record<number, number>>((acc, r) => {
    acc[r.status] = (acc[r.status] ?? 0) + 1
    return acc
  }, {})

describe('login throttling is atomic', () => {
  // Each request is counted (one upsert, row-locked per key) before its password is checked, so
  // concurrent requests cannot all read "0 failures so far". Meaningful on PGlite (serialised)
  // and on a real PostgreSQL with truly concurrent connections alike.
  it('30 simultaneous wrong passwords from one address: exactly the limit (5) are checked', async () => {
    const { email } = await account()
    const address = new WebClient().address
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(email, `wrong-password-${i}`, address)),
    )
    expect(statuses(responses)).toEqual({
      401: LOGIN_LIMITS.accountFromAddress,
      429: 30 - LOGIN_LIMITS.accountFromAddress,
    })
    for (const r of responses.filter((r) => r.status === 429)) {
      expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0)
    }
    // The right password from that address is refused too (the password is not even checked).
    expect((await attempt(email, PASSWORD, address)).status).toBe(429)
  })

  it('30 simultaneous wrong passwords from 30 addresses: 10 checked freely, then one per growing delay', async () => {
    const { email, owner, db } = await account()
    const started = Date.now()
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(email, `wrong-password-${i}`, new WebClient().address)),
    )
    const elapsedSeconds = (Date.now() - started) / 1000
    const checked = statuses(responses)[401] ?? 0
    expect(checked).toBeGreaterThanOrEqual(LOGIN_LIMITS.account)
    // One more when the first delay (1 s) is due; on a slow machine the burst itself may outlast a delay or two.
    expect(checked).toBeLessThanOrEqual(LOGIN_LIMITS.account + 1 + Math.floor(elapsedSeconds))
    expect(checked).toBeLessThan(30)
    const refused = responses.filter((r) => r.status === 429)
    expect(refused).toHaveLength(30 - checked)
    // A delay, not a block: seconds, never the whole window.
    for (const r of refused)
      expect(Number(r.headers.get('Retry-After'))).toBeLessThanOrEqual(LOGIN_LIMITS.accountMaxDelaySeconds)
    const page = await refused[0]!.text()
    expect(page).toMatch(/Too many sign-in attempts\. Please wait \d+ seconds? and try again/)

    // The owner's own address (it signed in there before) is not delayed by the strangers' guesses.
    await db.execute(
      sql`INSERT INTO login_attempts (email, client_address, succeeded) VALUES (${email}, ${owner.address}, true)`,
    )
    expect((await owner.post('/login', { email, password: PASSWORD })).status).toBe(303)
  })

  it('the delay doubles with every attempt beyond the free ones, up to 60 s', async () => {
    const { email, db } = await account()
    const key = `login:account:${email}`
    const makeDue = () =>
      db.execute(sql`UPDATE attempt_counters SET next_allowed_at = now() - interval '1 second' WHERE key = ${key}`)
    // The delay an attempt set, exactly: its counter and its login_attempts row share the statement's now().
    const lastDelay = async () => {
      const result = await db.execute<{ delay: string }>(sql`
        SELECT extract(epoch FROM c.next_allowed_at - (SELECT max(attempted_at) FROM login_attempts WHERE email = ${email})) AS delay
        FROM attempt_counters c WHERE c.key = ${key}`)
      return Number(result.rows[0]!.delay)
    }
    for (let i = 0; i < LOGIN_LIMITS.account; i++) {
      expect((await attempt(email, 'wrong-password', new WebClient().address)).status).toBe(401)
    }
    const delays: number[] = []
    for (let round = 0; round < 8; round++) {
      await makeDue()
      expect((await attempt(email, 'wrong-password', new WebClient().address)).status).toBe(401)
      delays.push(await lastDelay())
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60])
    // Within the delay the account refuses, saying how long to wait (never the whole window).
    const refused = await attempt(email, 'wrong-password', new WebClient().address)
    expect(refused.status).toBe(429)
    const wait = Number(refused.headers.get('Retry-After'))
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(LOGIN_LIMITS.accountMaxDelaySeconds)
  })
})

describe('sign-up limits', () => {
  const signUpFrom = async (address: string) => {
    const web = new WebClient()
    web.address = address
    await web.page('/signup')
    return web.post('/signup', {
      company_name: `Limit ${uniq()}`,
      email: `limit-${uniq()}@example.com`,
      password: PASSWORD,
    })
  }

  it(`${SIGNUP_LIMITS.address} sign-ups an hour from one address, then a 429 page that says so`, async () => {
    const address = new WebClient().address
    for (let i = 0; i < SIGNUP_LIMITS.address; i++) expect((await signUpFrom(address)).status).toBe(303)
    const refused = await signUpFrom(address)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(await refused.text()).toMatch(/Too many sign-ups from your network\. Please wait \d+ minutes? and try again/)
    // Someone elsewhere is not affected.
    expect((await signUpFrom(new WebClient().address)).status).toBe(303)
  })

  it(`${SIGNUP_LIMITS.network} sign-ups an hour from one network (/24, /64), whatever the address in it`, async () => {
    const { db } = testDb()
    const net = `198.18.${Math.floor(Math.random() * 250)}`
    // The network's earlier sign-ups, counted as the limit counts them.
    await db.execute(sql`
      INSERT INTO attempt_counters (key, hits, window_started_at, window_seconds, free_hits, max_delay_seconds, next_allowed_at, admitted)
      VALUES (${`signup:network:${net}.0/24`}, ${SIGNUP_LIMITS.network}, now(), 3600, ${SIGNUP_LIMITS.network}, 0, now(), true)
      ON CONFLICT (key) DO UPDATE SET hits = excluded.hits, window_started_at = now()`)
    expect((await signUpFrom(`${net}.77`)).status).toBe(429)
    expect((await signUpFrom(`198.19.${Math.floor(Math.random() * 250)}.77`)).status).toBe(303)
  })

  it('an invalid form is not counted', async () => {
    const address = new WebClient().address
    const web = new WebClient()
    web.address = address
    await web.page('/signup')
    for (let i = 0; i < SIGNUP_LIMITS.address + 2; i++) {
      expect((await web.post('/signup', { company_name: 'x', email: 'nope', password: 'short' })).status).toBe(422)
    }
    expect((await signUpFrom(address)).status).toBe(303)
  })
})

describe('networkOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:0001:0002::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s → %s', (address, network) => {
    expect(networkOf(address)).toBe(network)
  })
})
