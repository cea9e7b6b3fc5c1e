// The customer's Integrations pages, through the Worker with a logged-in browser, against the stand-in provider.
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { integrations } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { factories } from '../../support/factories'
import { call, internalHeaders } from '../../support/http'
import { fakeProvider, providerAccepts, providerStats } from '../../support/integrations'
import { signedInCustomer } from '../../support/web'

/** The browser's round trip: our connect link → the provider → back to our callback. */
async function connectThroughBrowser(web: Awaited<ReturnType<typeof signedInCustomer>>['web'], slug: string) {
  const start = await web.get(`/integrations/${slug}/connect`)
  expect(start.status).toBe(302)
  const atProvider = await fetch(start.headers.get('Location')!, { redirect: 'manual' })
  expect(atProvider.status).toBe(302)
  const back = new URL(atProvider.headers.get('Location')!)
  expect(back.pathname).toBe('/integrations/callback')
  return web.get(`${back.pathname}${back.search}`)
}

describe('Integrations pages', () => {
  it('full path: connect from the page → callback → shown connected → runtime credentials → refresh', async () => {
    const { db } = testDb()
    const { web, customer } = await signedInCustomer(db)
    const { provider, clientId } = await fakeProvider(db, {
      client_secret: 'page-secret',
      account_id: 'acct-page',
      account_name: 'Page Workspace',
    })

    const listing = await web.page('/integrations')
    expect(listing.res.status).toBe(200)
    expect(listing.html).toContain(provider.name)
    expect(listing.html).toContain(`href="/integrations/${provider.slug}/connect"`)

    const callback = await connectThroughBrowser(web, provider.slug)
    expect(callback.status).toBe(303)
    const shown = await web.follow(callback)
    expect(shown.res.status).toBe(200)
    expect(shown.html).toContain('Connected. Your agents can now use this account.')
    expect(shown.html).toContain('Page Workspace')

    const [row] = await db.select().from(integrations).where(eq(integrations.customerId, customer.id))
    expect(row!.accessToken!.startsWith('gAAAAA')).toBe(true)
    expect(shown.html).not.toContain(row!.accessToken!)
    expect(shown.html).not.toContain('gAAAAA')

    const agent = await factories(db).agentInstance({ customerId: customer.id })
    const credentials = async () => {
      const res = await call(`/api/internal/integrations/${row!.id}/credentials`, {
        headers: internalHeaders(agent.id),
      })
      expect(res.status).toBe(200)
      return (await res.json()) as { access_token: string }
    }
    const first = await credentials()
    expect(shown.html).not.toContain(first.access_token)
    expect(await providerAccepts(first.access_token)).toMatchObject({ account_id: 'acct-page' })

    await db
      .update(integrations)
      .set({ tokenExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(integrations.id, row!.id))
    const refreshed = await credentials()
    expect(refreshed.access_token).not.toBe(first.access_token)
    expect(await providerAccepts(refreshed.access_token)).not.toBeNull()
    expect(await providerStats(clientId)).toMatchObject({ authorization_code: 1, refresh_token: 1, refused: 0 })

    const again = await web.page('/integrations')
    for (const secret of [first.access_token, refreshed.access_token, 'page-secret', 'gAAAAA']) {
      expect(again.html).not.toContain(secret)
    }
  })

  it('a denial at the provider is shown readably on the page', async () => {
    const { db } = testDb()
    const { web } = await signedInCustomer(db)
    const { provider } = await fakeProvider(db, { deny: true })
    const res = await connectThroughBrowser(web, provider.slug)
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain(`${provider.name} did not connect: access was denied (The user declined to connect)`)
    expect(html).toContain('<h1>Integrations</h1>')
  })

  it('a callback in another browser session is refused readably', async () => {
    const { db } = testDb()
    const { web, customer, user } = await signedInCustomer(db)
    const { provider } = await fakeProvider(db)
    const start = await web.get(`/integrations/${provider.slug}/connect`)
    const atProvider = await fetch(start.headers.get('Location')!, { redirect: 'manual' })
    const back = new URL(atProvider.headers.get('Location')!)
    const { WebClient } = await import('../../support/web-client')
    const otherBrowser = new WebClient()
    await otherBrowser.loginAs(db, { id: user.id, customerId: customer.id })
    const res = await otherBrowser.get(`${back.pathname}${back.search}`)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('started in another browser session')
    expect(await db.select().from(integrations).where(eq(integrations.customerId, customer.id))).toEqual([])
  })

  it('a callback link the app cannot read is refused readably on the page (400)', async () => {
    const { db } = testDb()
    const { web, customer } = await signedInCustomer(db)
    const res = await web.get(`/integrations/callback?state=${'s'.repeat(201)}&code=abc`)
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('The provider sent back a link this app cannot read.')
    expect(html).toContain('<h1>Integrations</h1>')
    expect(await db.select().from(integrations).where(eq(integrations.customerId, customer.id))).toEqual([])
  })

  it('disconnect deletes the tokens; the page shows the account disconnected', async () => {
    const { db } = testDb()
    const { web, customer } = await signedInCustomer(db)
    const row = await factories(db).integration({ customerId: customer.id, accessToken: 'to_be_deleted' })
    await web.page('/integrations')
    const res = await web.post(`/integrations/${row.id}/disconnect`)
    expect(res.status).toBe(303)
    const shown = await web.follow(res)
    expect(shown.html).toContain('Disconnected. The stored tokens were deleted.')
    expect(shown.html).toContain('disconnected')
    const raw = await db.execute(sql`SELECT access_token, refresh_token FROM integrations WHERE id = ${row.id}`)
    expect(raw.rows[0]).toEqual({ access_token: null, refresh_token: null })
  })

  it("another customer's integration cannot be disconnected (404), and is not listed", async () => {
    const { db } = testDb()
    const { web } = await signedInCustomer(db)
    const theirs = await factories(db).integration({ accessToken: 'their_token', accountName: 'Their Account Name' })
    const listing = await web.page('/integrations')
    expect(listing.html).not.toContain('Their Account Name')
    const res = await web.post(`/integrations/${theirs.id}/disconnect`)
    expect(res.status).toBe(404)
    const [after] = await db.select().from(integrations).where(eq(integrations.id, theirs.id))
    expect(after!.accessToken).not.toBeNull()
  })

  it('needs a login, and disconnect needs the CSRF token', async () => {
    const { db } = testDb()
    const anonymous = await call('/integrations', { redirect: 'manual' })
    expect([302, 303]).toContain(anonymous.status)
    expect(anonymous.headers.get('Location')).toBe('/login?next=%2Fintegrations')
    const { web, customer } = await signedInCustomer(db)
    const row = await factories(db).integration({ customerId: customer.id })
    const res = await web.post(`/integrations/${row.id}/disconnect`, {}, { csrf: false })
    expect(res.status).toBe(403)
  })

  it('an unknown provider is a readable 404 page', async () => {
    const { db } = testDb()
    const { web } = await signedInCustomer(db)
    const res = await web.get('/integrations/no-such-provider/connect')
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('Integration provider not found')
  })
})
