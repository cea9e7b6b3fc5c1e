import { zValidator } from '@hono/zod-validator'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { DomainError, NotFound, Unavailable } from '../../errors'
import { type CallbackParams, completeConnect, startConnect } from '../../integrations/connect'
import { disconnectIntegration } from '../../integrations/disconnect'
import { listConnectableProviders } from '../../integrations/providers'
import { listIntegrations } from '../../integrations/queries'
import type { HonoEnv } from '../../types'
import { csrfTokenOf } from '../shared/csrf'
import { navigateTo } from '../shared/redirect'
import { requireCustomer, signedIn } from '../shared/session'
import { showInvalid } from '../shared/validation'
import { IntegrationsPage, type IntegrationsPageProps, integrationsFlash } from './page'

const slugParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/)
const idParam = z.uuid()

/** What the provider sent back; a link this app cannot read is shown on the page (400). */
const callbackParams = zValidator(
  'query',
  z.object({
    state: z.string().max(200).optional(),
    code: z.string().max(2000).optional(),
    error: z.string().max(200).optional(),
    error_description: z.string().max(1000).optional(),
  }),
  showInvalid((c) => render(c, { kind: 'bad', text: 'The provider sent back a link this app cannot read.' }), 400),
)

const redirectUri = (c: Context<HonoEnv>) =>
  `${c.var.services.config.APP_ORIGIN ?? new URL(c.req.url).origin}/integrations/callback`

const depsOf = (c: Context<HonoEnv>) => ({ keys: c.var.services.config.ENCRYPTION_KEY, logger: c.var.services.logger })

async function render(c: Context<HonoEnv>, notice?: IntegrationsPageProps['notice'], status?: 400 | 503) {
  const { customer } = signedIn(c)
  const { db } = c.var.services.database
  const [providers, integrations] = await Promise.all([listConnectableProviders(db), listIntegrations(db, customer.id)])
  if (status) c.status(status)
  return c.render(
    <IntegrationsPage providers={providers} integrations={integrations} csrf={csrfTokenOf(c)} notice={notice} />,
    { title: 'Integrations', active: 'integrations' },
  )
}

/** Connect pages: list, start (→ provider), callback (← provider), disconnect. */
export const integrationWebRoutes = new Hono<HonoEnv>()
  .get('/integrations', requireCustomer(), (c) => render(c, integrationsFlash(new URL(c.req.url).searchParams)))
  // The OAuth callback comes before `/:slug/connect` so `callback` is never read as a slug.
  .get('/integrations/callback', requireCustomer(), callbackParams, async (c) => {
    const { customer, session } = signedIn(c)
    try {
      await completeConnect(c.var.services.database.db, depsOf(c), {
        session: { id: session.id, customerId: customer.id },
        params: c.req.valid('query') satisfies CallbackParams,
        redirectUri: redirectUri(c),
      })
    } catch (error) {
      // Refusals, denials, a stale state or an unreachable provider: shown on the page, readably.
      // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
      if (!(error instanceof DomainError)) throw error
      return render(c, { kind: 'bad', text: error.message }, error instanceof Unavailable ? 503 : 400)
    }
    return c.redirect('/integrations?connected=1', 303)
  })
  .get('/integrations/:slug/connect', requireCustomer(), async (c) => {
    const { customer, session } = signedIn(c)
    const slug = slugParam.safeParse(c.req.param('slug'))
    if (!slug.success) throw new NotFound('Integration provider')
    const { authorizeUrl } = await startConnect(c.var.services.database.db, depsOf(c), {
      session: { id: session.id, customerId: customer.id },
      providerSlug: slug.data,
      redirectUri: redirectUri(c),
    })
    return navigateTo(c, authorizeUrl)
  })
  .post('/integrations/:id/disconnect', requireCustomer(), async (c) => {
    const { customer } = signedIn(c)
    const id = idParam.safeParse(c.req.param('id'))
    if (!id.success) throw new NotFound('Integration')
    await disconnectIntegration(c.var.services.database.db, customer.id, id.data)
    return c.redirect('/integrations?disconnected=1', 303)
  })
