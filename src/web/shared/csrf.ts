import type { Context, MiddlewareHandler } from 'hono'
import { HttpError } from '../../http/errors'
import { peekFirstMultipartField } from '../../http/multipart-peek'
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

/**
 * The token a form sent in its body. A multipart body (an upload, up to 30 MB) is not parsed for it:
 * its first part is peeked (the upload form puts `_csrf` first), so a forged upload is refused having
 * read a few KB. A small form was parsed already by src/http/text-guard.ts (which refused it with a
 * 400 if it did not parse), and parseBody returns that cached parse.
 */
async function bodyToken(c: Context<HonoEnv>): Promise<string | null> {
  const type = (c.req.header('Content-Type') ?? '').toLowerCase()
  if (type.startsWith('multipart/form-data') && !c.req.raw.bodyUsed) {
    const first = await peekFirstMultipartField(c)
    return first?.name === CSRF_FIELD ? first.value : null
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const field = (await c.req.parseBody())[CSRF_FIELD]
    return typeof field === 'string' ? field : null
  }
  return null
}

/**
 * Unsafe requests of a logged-in browser: same origin AND the session's token, from the X-CSRF-Token
 * header (HTMX) or the form. The body is looked at only when the header does not carry the token.
 */
export async function verifyCsrf(c: Context<HonoEnv>, expected: string): Promise<void> {
  if (!isUnsafeMethod(c)) return
  if (!isSameOrigin(c)) throw crossSiteRequest()
  const header = c.req.header(CSRF_HEADER)
  if (header && (await timingSafeEqualStrings(header, expected))) return
  const field = await bodyToken(c)
  if (field !== null && (await timingSafeEqualStrings(field, expected))) return
  throw crossSiteRequest()
}

/** The CSRF token of the current session, for forms (`<CsrfField token={csrfTokenOf(c)} />`). */
export function csrfTokenOf(c: Context<HonoEnv>): string {
  const session = c.get('session')
  if (!session) throw new Error('csrfTokenOf needs requireCustomer() before it')
  return session.csrfToken
}
