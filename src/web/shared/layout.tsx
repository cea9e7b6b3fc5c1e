import type { FC, PropsWithChildren } from 'hono/jsx'
import { jsxRenderer } from 'hono/jsx-renderer'
import type { Customer, CustomerSession } from '../../customers/sessions'
import type { HonoEnv } from '../../types'
import { CSRF_FIELD, CSRF_HEADER } from './csrf'

export type NavSection = 'dashboard' | 'agents' | 'knowledge' | 'billing' | 'integrations'

/** What a handler tells the layout: `return c.render(<BillingPage ... />, { title: 'Billing', active: 'billing' })`. */
export interface PageProps {
  title: string
  /** The navigation entry shown as the current page. */
  active?: NavSection
}

declare module 'hono' {
  // hono's renderer type is extended by declaration merging, which needs an interface.
  interface ContextRenderer {
    // biome-ignore lint/style/useShorthandFunctionType: see above
    (content: string | Promise<string>, props: PageProps): Response | Promise<Response>
  }
}

interface LayoutProps extends PageProps {
  /** The signed-in customer and session (from `requireCustomer()`); pages without them show the public header. */
  customer?: Customer
  session?: CustomerSession
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
const Layout: FC<PropsWithChildren<LayoutProps>> = ({ title, customer, session, active, children }) => (
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
)

/**
 * The layout of every HTML page, hono's own way: handlers (and the error pages) answer with
 * `c.render(content, { title, active })`; the signed-in customer and session, when the request
 * loaded them, come from the context. Set a status other than 200 with `c.status()` first.
 */
export const pageRenderer = jsxRenderer<HonoEnv>(
  ({ children, title, active }, c) => (
    <Layout title={title} active={active} customer={c.get('customer')} session={c.get('session')}>
      {children}
    </Layout>
  ),
  { docType: '<!doctype html>' },
)
