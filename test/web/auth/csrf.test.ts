import { describe, expect, it } from 'vitest'
import { testDb } from '../../support/db'
import { uniq } from '../../support/factories'
import { signedInCustomer } from '../../support/web'
import { WebClient } from '../../support/web-client'

/** A signed-in customer's browser and one of their agents, whose deactivate form the posts below aim at. */
async function signedInWithAgent() {
  const { db } = testDb()
  const { f, web, customer, session } = await signedInCustomer(db)
  const agent = await f.agentInstance({ customerId: customer.id })
  return { db, web, session, agent, deactivate: `/agents/${agent.id}/deactivate` }
}

describe('CSRF', () => {
  it('answers a cross-site form post with a 403 page and changes nothing', async () => {
    const { db, web, agent, deactivate } = await signedInWithAgent()
    web.origin = 'https://evil.example'
    const res = await web.post(deactivate)
    expect(res.status).toBe(403)
    expect(res.headers.get('Content-Type')).toContain('text/html')
    expect(await res.text()).toContain('another site')
    const after = await db.query.agentInstances.findFirst({ where: (t, { eq }) => eq(t.id, agent.id) })
    expect(after!.isActive).toBe(true)
  })

  it('answers a cross-site post with 403 even when SameSite kept the cookie away', async () => {
    const web = new WebClient()
    web.origin = 'https://evil.example'
    const res = await web.post('/agents/onboarding/customer-support/step/basics', { agent_name: 'x' })
    expect(res.status).toBe(403)
  })

  it('answers Sec-Fetch-Site: cross-site with 403 even with the right token', async () => {
    const { web, deactivate } = await signedInWithAgent()
    const res = await web.post(deactivate, {}, { headers: { 'Sec-Fetch-Site': 'cross-site' } })
    expect(res.status).toBe(403)
  })

  it('refuses a same-origin post without the token, or with a wrong one', async () => {
    const { web, deactivate } = await signedInWithAgent()
    expect((await web.post(deactivate, {}, { csrf: false })).status).toBe(403)
    expect((await web.post(deactivate, { _csrf: 'forged' })).status).toBe(403)
    web.origin = null
    expect((await web.post(deactivate)).status).toBe(403)
  })

  it('accepts the token in the X-CSRF-Token header that HTMX sends', async () => {
    const { web, session, deactivate } = await signedInWithAgent()
    const page = await web.page('/dashboard')
    expect(page.html).toContain(`hx-headers="{&quot;X-CSRF-Token&quot;:&quot;${session.csrfToken}&quot;}"`)
    const res = await web.post(
      deactivate,
      {},
      {
        csrf: false,
        headers: { 'X-CSRF-Token': session.csrfToken, 'HX-Request': 'true', 'Sec-Fetch-Site': 'same-origin' },
      },
    )
    expect(res.status).toBe(303)
  })

  it('protects login and sign-up (no session yet) by origin', async () => {
    const web = new WebClient()
    web.origin = 'https://evil.example'
    expect((await web.post('/login', { email: 'a@example.com', password: 'whatever-password' })).status).toBe(403)
    const signup = await web.post('/signup', {
      company_name: 'Evil',
      email: `evil-${uniq()}@example.com`,
      password: 'password-1234',
    })
    expect(signup.status).toBe(403)
  })

  it('refuses a cross-site logout', async () => {
    const { db } = testDb()
    const { web } = await signedInCustomer(db)
    web.origin = 'https://evil.example'
    expect((await web.post('/logout')).status).toBe(403)
    web.origin = 'http://localhost'
    expect((await web.get('/dashboard')).status).toBe(200)
  })
})

describe('security headers on pages', () => {
  it('sends a CSP that allows only the app’s own scripts and styles, and uses no inline script or style', async () => {
    const { db } = testDb()
    const { web } = await signedInCustomer(db)
    const { res, html } = await web.page('/agents/new')
    const csp = res.headers.get('Content-Security-Policy')!
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style/)
    expect(html).not.toMatch(/\sstyle="/)
    expect(html).not.toMatch(/\son[a-z]+="/)
    expect(html).toContain('src="/static/vendor/htmx.min.js"')
  })
})

describe('origin check', () => {
  it('accepts the Origin of the host the browser addressed, and refuses a look-alike', async () => {
    const { web, agent, deactivate } = await signedInWithAgent()
    web.origin = 'http://hub.example:8787'
    const ok = await web.post(deactivate, {}, { headers: { Host: 'hub.example:8787' } })
    expect(ok.status).toBe(303)
    web.origin = 'http://hub.example.evil:8787'
    const bad = await web.post(`/agents/${agent.id}/activate`, {}, { headers: { Host: 'hub.example:8787' } })
    expect(bad.status).toBe(403)
  })
})
