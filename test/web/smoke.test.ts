import { describe, expect, it } from 'vitest'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { call } from '../support/http'
import { WebClient } from './client'

describe('smoke', () => {
  it('serves static assets and the landing page', async () => {
    const css = await call('/static/app.css')
    expect(css.status).toBe(200)
    const js = await call('/static/vendor/htmx.min.js')
    expect(js.status).toBe(200)
    const res = await call('/')
    expect(res.status).toBe(200)
  })

  it('renders the dashboard for a logged-in user', async () => {
    const { db } = testDb()
    const f = factories(db)
    const user = await f.customerUser()
    await f.subscription({ customerId: user.customerId })
    const web = new WebClient()
    await web.loginAs(db, user)
    const { res, html } = await web.page('/dashboard')
    expect(res.status, html).toBe(200)
  })
})
