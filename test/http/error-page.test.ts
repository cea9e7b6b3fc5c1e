// Error and not-found pages render through the one layout (hono's jsxRenderer), like every other page.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { testDb } from '../support/db'
import { call } from '../support/http'
import { signedInCustomer } from '../support/web'

describe('error pages', () => {
  it('a page that does not exist answers 404 in the site layout, signed out', async () => {
    const res = await call('/no-such-page')
    expect(res.status).toBe(404)
    const html = await res.text()
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('<title>Page not found · EchoForge Hub</title>')
    expect(html).toContain('<link rel="stylesheet" href="/static/app.css"/>')
    expect(html).toContain('<nav aria-label="Account">')
    expect(html).toContain('<h1>Page not found</h1>')
    expect(html).toMatch(/Error 404 · request <code>[^<]+<\/code>/)
  })

  it("another customer's agent answers 404 in the layout with the signed-in navigation", async () => {
    const { db } = testDb()
    const { web } = await signedInCustomer(db)
    const res = await web.get(`/agents/${randomUUID()}`)
    expect(res.status).toBe(404)
    const html = await res.text()
    expect(html).toContain('<nav aria-label="Main">')
    expect(html).toContain('Log out')
    expect(html).toContain('Agent not found')
  })

  it('the JSON API keeps its envelope', async () => {
    const res = await call('/api/no-such-route')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
  })
})
