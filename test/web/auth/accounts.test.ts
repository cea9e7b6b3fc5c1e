import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { hashPassword, needsRehash, PASSWORD_ITERATIONS, verifyPassword } from '../../../src/customers/passwords'
import { SESSION_IDLE_TIMEOUT_MS } from '../../../src/customers/sessions'
import { customerSessions, customers, customerUsers, subscriptions } from '../../../src/db/schema'
import { sha256Hex } from '../../../src/platform/crypto'
import { testDb } from '../../support/db'
import { uniq } from '../../support/factories'
import { signedInAccount } from '../../support/web'
import { WebClient } from '../../support/web-client'

const PASSWORD = 'correct horse battery'

async function signUp(web: WebClient, email = `owner-${uniq()}@example.com`) {
  await web.page('/signup')
  const res = await web.post('/signup', { company_name: `Acme ${uniq()}`, email, password: PASSWORD })
  return { res, email }
}

describe('passwords', () => {
  it('hashes with PBKDF2-SHA256 at 100,000 iterations, random salt, parameters stored', async () => {
    const a = await hashPassword(PASSWORD)
    const b = await hashPassword(PASSWORD)
    expect(a).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(PASSWORD_ITERATIONS).toBe(100_000)
    expect(a).not.toBe(b)
    expect(await verifyPassword(PASSWORD, a)).toBe(true)
    expect(await verifyPassword('wrong password!', a)).toBe(false)
    expect(await verifyPassword(PASSWORD, null)).toBe(false)
    expect(await verifyPassword(PASSWORD, 'garbage')).toBe(false)
  })

  it('verifies hashes made with fewer iterations and asks for a rehash', async () => {
    const old = await hashPassword(PASSWORD, 1000)
    expect(await verifyPassword(PASSWORD, old)).toBe(true)
    expect(needsRehash(old)).toBe(true)
    expect(needsRehash(await hashPassword(PASSWORD))).toBe(false)
  })

  it('never matches a stored hash whose salt or hash is not base64, and asks to replace it', async () => {
    const good = await hashPassword(PASSWORD, 1000)
    const [scheme, iterations, salt, hash] = good.split('$')
    for (const broken of [`${scheme}$${iterations}$not*base64$${hash}`, `${scheme}$${iterations}$${salt}$%%%%`]) {
      expect(await verifyPassword(PASSWORD, broken)).toBe(false)
      expect(needsRehash(broken)).toBe(true)
    }
  })
})

describe('sign up', () => {
  it('creates the customer, an admin user, the trial, a session, and opens the agent catalog', async () => {
    const { db } = testDb()
    const web = new WebClient()
    const { res, email } = await signUp(web)
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/agents/new?welcome=1')
    const catalog = await web.page('/agents/new?welcome=1')
    expect(catalog.html).toContain('Your free trial has started')
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-session='))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/Secure/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(cookie).toMatch(/Path=\//)
    expect(cookie).not.toMatch(/Domain=/i)

    const user = await db.query.customerUsers.findFirst({ where: eq(customerUsers.email, email) })
    expect(user!.role).toBe('admin')
    expect(user!.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/)
    const customer = await db.query.customers.findFirst({ where: eq(customers.id, user!.customerId) })
    expect(customer!.email).toBe(email)
    const subscription = await db.query.subscriptions.findFirst({ where: eq(subscriptions.customerId, customer!.id) })
    expect(subscription!.status).toBe('trialing')
    expect(subscription!.trialEndsAt).not.toBeNull()

    // The session row's id is the SHA-256 of the cookie value, never the value itself.
    const token = web.cookies.get('__Host-session')!
    const session = await db.query.customerSessions.findFirst({
      where: eq(customerSessions.id, await sha256Hex(token)),
    })
    expect(session!.userId).toBe(user!.id)
    expect(await db.query.customerSessions.findFirst({ where: eq(customerSessions.id, token) })).toBeUndefined()

    const dashboard = await web.page('/dashboard')
    expect(dashboard.res.status).toBe(200)
    expect(dashboard.html).toContain('Free trial')
  })

  it.each([
    ['a short password', { password: 'short' }, 'at least 10 characters'],
    ['a bad email', { email: 'not-an-email' }, 'valid email'],
    ['no company name', { company_name: '' }, 'company name'],
  ])('re-renders the form for %s, keeping the values but never the password', async (_l, override, message) => {
    const web = new WebClient()
    await web.page('/signup')
    const values = { company_name: 'Kept Co', email: `kept-${uniq()}@example.com`, password: PASSWORD, ...override }
    const res = await web.post('/signup', values)
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain(message)
    if (values.company_name) expect(html).toContain(`value="${values.company_name}"`)
    expect(html).not.toContain(PASSWORD)
  })

  it('refuses an email that already has an account (any letter case)', async () => {
    const { db } = testDb()
    const web = new WebClient()
    const { email } = await signUp(web)
    const again = await new WebClient().post('/signup', {
      company_name: 'Copycat',
      email: email.toUpperCase(),
      password: PASSWORD,
    })
    expect(again.status).toBe(422)
    expect(await again.text()).toContain('already exists')
    const users = await db.select().from(customerUsers).where(sql`lower(${customerUsers.email}) = ${email}`)
    expect(users).toHaveLength(1)
  })
})

describe('log in and out', () => {
  async function account() {
    const web = new WebClient()
    const { email } = await signUp(web)
    return { email, first: web }
  }

  it('logs in with a new session id each time and returns to a local next= path', async () => {
    const { email, first } = await account()
    const web = new WebClient()
    web.cookies.set('__Host-session', 'planted-by-an-attacker')
    const res = await web.post('/login?next=%2Fagents%2Fnew', { email, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/agents/new')
    const token = web.cookies.get('__Host-session')!
    expect(token).not.toBe('planted-by-an-attacker')
    expect(token).not.toBe(first.cookies.get('__Host-session'))
  })

  it.each([
    ['https://evil.example/steal', '/steal'],
    ['//evil.example/x', '/dashboard'],
    ['/\\evil.example', '/dashboard'],
    ['javascript:alert(1)', '/dashboard'],
  ])('never redirects off-site after login (next=%s)', async (next, expected) => {
    const { email } = await account()
    const res = await new WebClient().post(`/login?next=${encodeURIComponent(next)}`, { email, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(expected)
  })

  it('answers a wrong password and an unknown email with the same message', async () => {
    const { email } = await account()
    const wrong = await new WebClient().post('/login', { email, password: 'not the password' })
    const unknown = await new WebClient().post('/login', {
      email: `nobody-${uniq()}@example.com`,
      password: 'x'.repeat(12),
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    const a = await wrong.text()
    const b = await unknown.text()
    expect(a).toContain('The email or password is not correct.')
    expect(b).toContain('The email or password is not correct.')
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('__Host-session=') && !/Max-Age=0/i.test(c))).toBe(
      false,
    )
  })

  it('redirects pages that need a login to /login?next=... and back there afterwards', async () => {
    const { email } = await account()
    const web = new WebClient()
    const res = await web.get('/agents/new?x=1')
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('/login?next=%2Fagents%2Fnew%3Fx%3D1')
    const login = await web.page(res.headers.get('Location')!)
    expect(login.html).toContain('action="/login?next=%2Fagents%2Fnew%3Fx%3D1"')
    const back = await web.post('/login?next=%2Fagents%2Fnew%3Fx%3D1', { email, password: PASSWORD })
    expect(back.headers.get('Location')).toBe('/agents/new?x=1')
  })

  it('tells HTMX requests without a session to redirect with HX-Redirect', async () => {
    const res = await new WebClient().get('/dashboard', { 'HX-Request': 'true' })
    expect(res.status).toBe(204)
    expect(res.headers.get('HX-Redirect')).toBe('/login?next=%2Fdashboard')
  })

  it('logout deletes the session row; the old cookie no longer works', async () => {
    const { db } = testDb()
    const { first } = await account()
    const token = first.cookies.get('__Host-session')!
    await first.page('/dashboard')
    const res = await first.post('/logout')
    expect(res.status).toBe(303)
    expect(res.headers.get('Clear-Site-Data')).toBe('"cache", "storage"')
    expect(res.headers.getSetCookie().some((c) => /^__Host-session=;.*Max-Age=0/i.test(c))).toBe(true)
    expect(
      await db.query.customerSessions.findFirst({ where: eq(customerSessions.id, await sha256Hex(token)) }),
    ).toBeUndefined()
    const replay = new WebClient()
    replay.cookies.set('__Host-session', token)
    expect((await replay.get('/dashboard')).status).toBe(302)
  })

  it.each([
    ['idle too long', { lastSeenAt: new Date(Date.now() - SESSION_IDLE_TIMEOUT_MS - 60_000) }],
    ['past its absolute expiry', { expiresAt: new Date(Date.now() - 1000) }],
  ])('ends a session %s and deletes its row', async (_, aged) => {
    const { db, web, session } = await signedInAccount()
    await db.update(customerSessions).set(aged).where(eq(customerSessions.id, session.id))
    expect((await web.get('/dashboard')).status).toBe(302)
    expect(await db.query.customerSessions.findFirst({ where: eq(customerSessions.id, session.id) })).toBeUndefined()
  })

  it('refuses sessions of deactivated users', async () => {
    const { db, user, web } = await signedInAccount()
    await db.update(customerUsers).set({ isActive: false }).where(eq(customerUsers.id, user.id))
    expect((await web.get('/dashboard')).status).toBe(302)
  })
})

describe('login limits', () => {
  it('limits failures per account from one address with a clear message; other addresses still get in', async () => {
    const { db } = testDb()
    const web = new WebClient()
    const { email } = await signUp(web)
    const attacker = new WebClient()
    for (let i = 0; i < 5; i++) {
      const res = await attacker.post('/login', { email, password: `wrong-${i}-password` })
      expect(res.status).toBe(401)
    }
    const blocked = await attacker.post('/login', { email, password: PASSWORD })
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('Retry-After')).toBeTruthy()
    expect(await blocked.text()).toMatch(/Too many sign-in attempts\. Please wait \d+ minutes? and try again/)

    // The real user, elsewhere, is not locked out by someone else's guessing.
    const owner = new WebClient()
    const ok = await owner.post('/login', { email, password: PASSWORD })
    expect(ok.status).toBe(303)

    // The window slides: once the failures are old, the blocked address may try again.
    await db.execute(
      sql`UPDATE attempt_counters SET window_started_at = now() - interval '16 minutes' WHERE key LIKE ${`login:%${email}%`}`,
    )
    const later = await attacker.post('/login', { email, password: PASSWORD })
    expect(later.status).toBe(303)
  })

  it('limits failures per client address across accounts', async () => {
    const web = new WebClient()
    for (let i = 0; i < 30; i++) {
      const res = await web.post('/login', { email: `spray-${i}-${uniq()}@example.com`, password: 'password123' })
      expect(res.status).toBe(401)
    }
    const blocked = await web.post('/login', { email: `spray-last-${uniq()}@example.com`, password: 'password123' })
    expect(blocked.status).toBe(429)
  })

  it('stores attempts with the address, never the password', async () => {
    const { db } = testDb()
    const web = new WebClient()
    const email = `audit-${uniq()}@example.com`
    await web.post('/login', { email, password: 'secret-guess-123' })
    const rows = await db.execute(sql`SELECT * FROM login_attempts WHERE email = ${email}`)
    expect(rows.rows).toHaveLength(1)
    expect(JSON.stringify(rows.rows)).not.toContain('secret-guess-123')
    expect(rows.rows[0]!.client_address).toBe(web.address)
  })
})
