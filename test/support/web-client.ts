import { expect } from 'vitest'
import { createSession } from '../../src/customers/sessions'
import type { Executor } from '../../src/db/client'
import { BASE, call } from './http'

/** FNV-1a: the same test file always gets the same 32 bits. */
function hash32(text: string) {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h
}

let clientsInThisFile = 0

/**
 * A network (/64) of its own for every client: the test file's hash, then a counter. Test
 * files run side by side against one database, and per-address and per-network limits
 * (login, sign-up) must never mix two tests, so no address is ever drawn at random.
 */
export function uniqueClientAddress() {
  const file = hash32(expect.getState().testPath ?? 'outside-a-test-file')
  const hex = (n: number) => n.toString(16)
  return `fd00:${hex(file >>> 16)}:${hex(file & 0xffff)}:${hex(++clientsInThisFile)}::1`
}

/**
 * A browser-like client for the web app inside workerd: keeps cookies, sends the
 * Origin a browser would, and reads the CSRF token from the last page it saw.
 */
export class WebClient {
  cookies = new Map<string, string>()
  csrf: string | null = null
  origin: string | null = BASE
  address = uniqueClientAddress()

  private headers(extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { 'CF-Connecting-IP': this.address, ...extra }
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    return headers
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, ...rest] = pair!.split('=')
      const value = rest.join('=')
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name!.trim())
      else this.cookies.set(name!.trim(), value)
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await call(path, { headers: this.headers(headers), redirect: 'manual' })
    this.remember(res)
    return res
  }

  /** GET and return the body text; remembers the page's CSRF token. */
  async page(path: string): Promise<{ res: Response; html: string }> {
    const res = await this.get(path)
    const html = await res.text()
    this.readCsrf(html)
    return { res, html }
  }

  readCsrf(html: string) {
    const match = /name="_csrf" value="([^"]+)"/.exec(html)
    if (match) this.csrf = match[1]!
  }

  /** A form post as a browser sends it (Origin, cookies, the page's `_csrf` unless `csrf: false`). */
  async post(
    path: string,
    data: Record<string, string | string[]> = {},
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(data)) for (const item of [v].flat()) body.append(k, item)
    if (options.csrf !== false && this.csrf && !('_csrf' in data)) body.set('_csrf', this.csrf)
    return this.send(path, body, { 'Content-Type': 'application/x-www-form-urlencoded', ...options.headers })
  }

  /** A multipart upload of `files` under the field `files`, as a browser's file input sends it. */
  async postFiles(path: string, files: File[]): Promise<Response> {
    const form = new FormData()
    if (this.csrf) form.set('_csrf', this.csrf)
    for (const file of files) form.append('files', file)
    return this.send(path, form)
  }

  private async send(path: string, body: URLSearchParams | FormData, headers: Record<string, string> = {}) {
    const all = this.headers(headers)
    if (this.origin) all.Origin = this.origin
    const res = await call(path, { method: 'POST', headers: all, body, redirect: 'manual' })
    this.remember(res)
    return res
  }

  /** Follows a redirect response like a browser (GET), returning the final page. */
  async follow(res: Response): Promise<{ res: Response; html: string }> {
    let current = res
    for (let i = 0; i < 5 && current.status >= 300 && current.status < 400; i++) {
      const location = current.headers.get('Location')!
      current = await this.get(location.replace(BASE, ''))
    }
    const html = await current.text()
    this.readCsrf(html)
    return { res: current, html }
  }

  /** Logs a user in directly (like Django's force_login): a real session row and cookie, no password. */
  async loginAs(db: Executor, user: { id: string; customerId: string }) {
    const { token, session } = await createSession(db, user)
    this.cookies.set('__Host-session', token)
    this.csrf = session.csrfToken
    return session
  }
}
