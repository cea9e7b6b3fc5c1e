import { zValidator } from '@hono/zod-validator'
import { type Context, Hono } from 'hono'
import { createFactory } from 'hono/factory'
import Stripe from 'stripe'
import { z } from 'zod'
import { loadBillingOverview } from '../../billing/overview'
import { startPlanPurchase, startTopUp } from '../../billing/stripe/checkout'
import { createStripe } from '../../billing/stripe/client'
import { openBillingPortal } from '../../billing/stripe/portal'
import { TOP_UP_MAX_DOLLARS, TOP_UP_MIN_DOLLARS } from '../../billing/stripe/top-up'
import { Unavailable } from '../../errors'
import type { HonoEnv } from '../../types'
import { csrfTokenOf } from '../shared/csrf'
import { field } from '../shared/forms'
import { navigateTo } from '../shared/redirect'
import { requireCustomer, signedIn } from '../shared/session'
import { formInput, formText, type Invalid, showInvalid } from '../shared/validation'
import { BillingPage, type BillingPageProps, flashFor } from './page'

const factory = createFactory<HonoEnv>()

/** Any slug: an unknown plan is the domain's to refuse (404). */
const checkoutForm = z.object({ plan: formText })
const topUpForm = z.object({
  amount: formInput(
    z.coerce
      .number({ error: 'Enter an amount in dollars.' })
      .int('Enter a whole number of dollars.')
      .min(TOP_UP_MIN_DOLLARS, `The smallest top-up is $${TOP_UP_MIN_DOLLARS}.`)
      .max(TOP_UP_MAX_DOLLARS, `The largest top-up is $${TOP_UP_MAX_DOLLARS}.`),
  ),
})

const originOf = (c: Context<HonoEnv>) => c.var.services.config.APP_ORIGIN ?? new URL(c.req.url).origin

/** Stripe failures become a readable "try again" page; the details go to the (redacting) log only. */
async function withStripe<T>(c: Context<HonoEnv>, action: (stripe: Stripe) => Promise<T>): Promise<T> {
  try {
    return await action(createStripe(c.var.services.config))
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError)) throw error
    c.var.services.logger.error('stripe request failed', { error, type: error.type })
    throw new Unavailable('Payments are unavailable right now. Nothing was charged; please try again.')
  }
}

const showBilling = async (c: Context<HonoEnv>, topUp?: BillingPageProps['topUp']) => {
  const { customer } = signedIn(c)
  const overview = await loadBillingOverview(c.var.services.database.db, customer)
  const flash = flashFor(new URL(c.req.url).searchParams)
  return c.render(<BillingPage overview={overview} csrf={csrfTokenOf(c)} flash={flash} topUp={topUp} />, {
    title: 'Billing',
    active: 'billing',
  })
}

const showTopUpError = (c: Context<HonoEnv>, { errors, values }: Invalid) =>
  showBilling(c, { amount: field(values, 'amount'), error: errors.amount ?? 'Enter an amount in dollars.' })

const checkout = factory.createHandlers(requireCustomer(), zValidator('form', checkoutForm), async (c) => {
  const { customer } = signedIn(c)
  const { plan } = c.req.valid('form')
  const url = await withStripe(c, (stripe) =>
    startPlanPurchase(c.var.services.database.db, stripe, customer, plan, originOf(c)),
  )
  return navigateTo(c, url)
})

const topUp = factory.createHandlers(
  requireCustomer(),
  zValidator('form', topUpForm, showInvalid(showTopUpError)),
  async (c) => {
    const { customer } = signedIn(c)
    const { amount } = c.req.valid('form')
    const url = await withStripe(c, (stripe) =>
      startTopUp(c.var.services.database.db, stripe, customer, amount, originOf(c)),
    )
    return navigateTo(c, url)
  },
)

export const billingWebRoutes = new Hono<HonoEnv>()
  .get('/billing', requireCustomer(), (c) => showBilling(c))
  .get('/billing/', requireCustomer(), (c) => showBilling(c))
  .post('/billing/checkout/', ...checkout)
  .post('/billing/checkout', ...checkout)
  .post('/billing/top-up/', ...topUp)
  .post('/billing/top-up', ...topUp)
  .on('POST', ['/billing/portal/', '/billing/portal'], requireCustomer(), async (c) => {
    const { customer } = signedIn(c)
    const url = await withStripe(c, (stripe) =>
      openBillingPortal(c.var.services.database.db, stripe, customer, originOf(c)),
    )
    return navigateTo(c, url)
  })
