import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import {
  type Customer,
  type CustomerSession,
  createSession,
  deleteSession,
  findSession,
  SESSION_ABSOLUTE_TIMEOUT_MS,
} from '../../customers/sessions'
import type { HonoEnv } from '../../types'
import { crossSiteRequest, isSameOrigin, isUnsafeMethod, verifyCsrf } from './csrf'
import { localPath } from './forms'
import { navigateTo } from './redirect'

/** Sent as `__Host-session`: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain. */
const COOKIE = 'session'
const cookieOptions = {
  prefix: 'host',
  httpOnly: true,
  secure: true,
  sameSite: 'Lax',
  path: '/',
} as const

/** Loads the session from the cookie once per request; null when there is none or it ended. */
export async function currentSession(
  c: Context<HonoEnv>,
): Promise<{ session: CustomerSession; customer: Customer } | null> {
  const session = c.get('session')
  const customer = c.get('customer')
  if (session && customer) return { session, customer }
  const token = getCookie(c, COOKIE, 'host')
  if (!token) return null
  const found = await findSession(c.var.services.database.db, token)
  if (!found) {
    deleteCookie(c, COOKIE, cookieOptions)
    return null
  }
  c.set('session', found.session)
  c.set('customer', found.customer)
  return found
}

/** Starts a fresh session (always a new id, so a planted cookie never survives a login) and sets the cookie. */
export async function startSession(c: Context<HonoEnv>, user: { id: string; customerId: string }) {
  const previous = getCookie(c, COOKIE, 'host')
  const { db } = c.var.services.database
  if (previous) {
    const old = await findSession(db, previous)
    if (old) await deleteSession(db, old.session.id)
  }
  const started = await createSession(db, user)
  setCookie(c, COOKIE, started.token, { ...cookieOptions, maxAge: SESSION_ABSOLUTE_TIMEOUT_MS / 1000 })
  return started.session
}

/** Deletes the session row and the cookie. */
export async function endSession(c: Context<HonoEnv>) {
  const current = await currentSession(c)
  if (current) await deleteSession(c.var.services.database.db, current.session.id)
  deleteCookie(c, COOKIE, cookieOptions)
}

function loginRedirect(c: Context<HonoEnv>) {
  const url = new URL(c.req.url)
  const next = isUnsafeMethod(c) ? (localPath(c.req.header('Referer')) ?? '/') : `${url.pathname}${url.search}`
  const location = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`
  // 302, as the spec's login-required checks expect; browsers follow it with a GET.
  return navigateTo(c, location)
}

/**
 * Customer pages: redirects to `/login?next=...` without a live session, sets
 * `c.var.customer` and `c.var.session`, and checks CSRF (same origin + the session's
 * token) on every unsafe method. Nothing here reads more of a body than the CSRF check needs
 * (a multipart body: its first part), so an anonymous upload is turned away unread. Read form
 * bodies with `c.req.parseBody()` afterwards (cached, or parsed then from every byte sent).
 */
export const requireCustomer = (): MiddlewareHandler<HonoEnv> => async (c, next) => {
  // A cross-site post is refused before anything else (SameSite=Lax keeps its cookie away anyway).
  if (isUnsafeMethod(c) && !isSameOrigin(c)) throw crossSiteRequest()
  const current = await currentSession(c)
  if (!current) return loginRedirect(c)
  await verifyCsrf(c, current.session.csrfToken)
  await next()
  // Whatever a customer's form changed (an agent switched, a key rotated, a knowledge base linked),
  // the hot path's copy of the customer reloads before the page answers (src/edge/publish.ts).
  if (isUnsafeMethod(c)) c.var.services.edge.changed(current.customer.id)
}

/** The logged-in customer and session; only inside routes behind `requireCustomer()`. */
export function signedIn(c: Context<HonoEnv>): { customer: Customer; session: CustomerSession } {
  const customer = c.get('customer')
  const session = c.get('session')
  if (!customer || !session) throw new Error('signedIn() needs requireCustomer() before it')
  return { customer, session }
}
