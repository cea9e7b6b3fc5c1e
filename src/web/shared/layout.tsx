import type { Context } from 'hono'
import { raw } from 'hono/html'
import type { Child, FC, PropsWithChildren } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Customer, CustomerSession } from '../../customers/sessions'
import type { HonoEnv } from '../../types'
import { CSRF_FIELD, CSRF_HEADER } from './csrf'

export type NavSection = 'dashboard' | 'agents' | 'knowledge' | 'billing' | 'integrations'

export interface LayoutProps {
  title: string
  /** The signed-in customer and session (from `requireCustomer()`); pages without them show the public header. */
  customer?: Customer
  session?: CustomerSession
  active?: NavSection
}

// htmx: no inline indicator styles (CSP), no eval, and no history snapshots (pages can show a key once).
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '[45]..', swap: true, error: false },
  ],
})

const NAV: { section: NavSection; href: string; label: string }[] = [
  { section: 'dashboard', href: '/dashboard', label: 'Dashboard' },
  { section: 'agents', href: '/agents/new', label: 'New agent' },
  { section: 'knowledge', href: '/knowledge', label: 'Knowledge' },
  { section: 'billing', href: '/billing', label: 'Billing' },
  { section: 'integrations', href: '/integrations', label: 'Integrations' },
]

/** Hidden `_csrf` field for every form behind `requireCustomer()`. */
export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />

/** The page shell of every customer page: header, navigation, content, own scripts and styles only. */
export const Layout: FC<PropsWithChildren<LayoutProps>> = ({ title, customer, session, active, children }) => (
  <>
    {raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${title} · EchoForge Hub`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/vendor/htmx.min.js" defer></script>
        <script src="/static/app.js" defer></script>
      </head>
      <body hx-boost="true" hx-headers={session ? JSON.stringify({ [CSRF_HEADER]: session.csrfToken }) : undefined}>
        <header class="topbar">
          <a class="brand" href={customer ? '/dashboard' : '/'}>
            EchoForge <span>Hub</span>
          </a>
          {customer && session ? (
            <nav aria-label="Main">
              {NAV.map((item) => (
                <a href={item.href} aria-current={item.section === active ? 'page' : undefined}>
                  {item.label}
                </a>
              ))}
              <span class="account-name">{customer.name}</span>
              <form method="post" action="/logout" class="inline">
                <CsrfField token={session.csrfToken} />
                <button type="submit" class="link">
                  Log out
                </button>
              </form>
            </nav>
          ) : (
            <nav aria-label="Account">
              <a href="/login">Log in</a>
              <a href="/signup" class="button small">
                Start free trial
              </a>
            </nav>
          )}
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  </>
)

/**
 * Renders a page in the layout with the signed-in customer (if any):
 * `return page(c, { title: 'Billing', active: 'billing' }, <BillingPage ... />)`.
 */
export function page(
  c: Context<HonoEnv>,
  props: Omit<LayoutProps, 'customer' | 'session'>,
  content: Child,
  status?: ContentfulStatusCode,
) {
  return c.html(
    <Layout {...props} customer={c.get('customer')} session={c.get('session')}>
      {content}
    </Layout>,
    status,
  )
}
