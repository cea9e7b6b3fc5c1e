import type { Context, MiddlewareHandler } from 'hono'
import { HttpError } from '../../http/errors'
import { timingSafeEqualStrings } from '../../platform/crypto'
import type { HonoEnv } from '../../types'

/** Hidden form field and header that carry the session's CSRF token. */
export const CSRF_FIELD = '_csrf'
export const CSRF_HEADER = 'X-CSRF-Token'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
export const isUnsafeMethod = (c: Context) => !SAFE_METHODS.has(c.req.method)

export const crossSiteRequest = () =>
  new HttpError(
    'FORBIDDEN',
    'This form was sent from another site or from an expired page. Go back, reload the page and try again.',
  )

/** The browser says the request comes from one of our own pages (Fetch metadata, else Origin). */
export function isSameOrigin(c: Context<HonoEnv>): boolean {
  const site = c.req.header('Sec-Fetch-Site')
  if (site) return site === 'same-origin'
  const origin = c.req.header('Origin')
  if (!origin) return false
  const url = new URL(c.req.url)
  const allowed = [url.origin]
  // Local proxies (wrangler dev) may rewrite the URL's host; the Host header is what the browser addressed.
  const host = c.req.header('Host')
  if (host) allowed.push(`${url.protocol}//${host}`)
  const configured = c.var.services?.config.APP_ORIGIN
  if (configured) allowed.push(new URL(configured).origin)
  return allowed.includes(origin)
}

/** For forms that work without a session (log in, sign up): unsafe requests must come from our own pages. */
export const sameOriginOnly = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  if (isUnsafeMethod(c) && !isSameOrigin(c)) throw crossSiteRequest()
  await next()
}

async function presentedTokens(c: Context<HonoEnv>): Promise<string[]> {
  const tokens: string[] = []
  const header = c.req.header(CSRF_HEADER)
  if (header) tokens.push(header)
  const type = c.req.header('Content-Type') ?? ''
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    // parseBody caches the parsed body, so handlers can read it again with c.req.parseBody(). A body
    // that does not parse never gets here: src/http/text-guard.ts refuses it with a 400 first.
    const body = await c.req.parseBody()
    const field = body[CSRF_FIELD]
    if (typeof field === 'string') tokens.push(field)
  }
  return tokens
}

/** Unsafe requests of a logged-in browser: same origin AND the session's token (form field or header). */
export async function verifyCsrf(c: Context<HonoEnv>, expected: string): Promise<void> {
  if (!isUnsafeMethod(c)) return
  if (!isSameOrigin(c)) throw crossSiteRequest()
  for (const token of await presentedTokens(c)) {
    if (await timingSafeEqualStrings(token, expected)) return
  }
  throw crossSiteRequest()
}

/** The CSRF token of the current session, for forms (`<CsrfField token={csrfTokenOf(c)} />`). */
export function csrfTokenOf(c: Context<HonoEnv>): string {
  const session = c.get('session')
  if (!session) throw new Error('csrfTokenOf needs requireCustomer() before it')
  return session.csrfToken
}
