import { type Context, Hono } from 'hono'
import Stripe from 'stripe'
import { z } from 'zod'
import { loadBillingOverview } from '../../billing/overview'
import { startPlanPurchase, startTopUp } from '../../billing/stripe/checkout'
import { createStripe } from '../../billing/stripe/client'
import { openBillingPortal } from '../../billing/stripe/portal'
import { TOP_UP_MAX_DOLLARS, TOP_UP_MIN_DOLLARS } from '../../billing/stripe/top-up'
import { AppError } from '../../errors'
import type { HonoEnv } from '../../types'
import { csrfTokenOf } from '../shared/csrf'
import { field, readForm } from '../shared/forms'
import { navigateTo } from '../shared/redirect'
import { requireCustomer, signedIn } from '../shared/session'
import { BillingPage, flashFor } from './page'

const planSlug = z.string().trim().min(1).max(100)
const topUpDollars = z.coerce
  .number({ error: 'Enter an amount in dollars.' })
  .int('Enter a whole number of dollars.')
  .min(TOP_UP_MIN_DOLLARS, `The smallest top-up is $${TOP_UP_MIN_DOLLARS}.`)
  .max(TOP_UP_MAX_DOLLARS, `The largest top-up is $${TOP_UP_MAX_DOLLARS}.`)

const originOf = (c: Context<HonoEnv>) => c.var.services.config.APP_ORIGIN ?? new URL(c.req.url).origin

/** Stripe failures become a readable "try again" page; the details go to the (redacting) log only. */
async function withStripe<T>(c: Context<HonoEnv>, action: (stripe: Stripe) => Promise<T>): Promise<T> {
  try {
    return await action(createStripe(c.var.services.config))
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError)) throw error
    c.var.services.logger.error('stripe request failed', { error, type: error.type })
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'Payments are unavailable right now. Nothing was charged; please try again.',
    )
  }
}

const showBilling = async (c: Context<HonoEnv>) => {
  const { customer } = signedIn(c)
  const overview = await loadBillingOverview(c.var.services.database.db, customer)
  const flash = flashFor(new URL(c.req.url).searchParams)
  return c.render(<BillingPage overview={overview} csrf={csrfTokenOf(c)} flash={flash} />, {
    title: 'Billing',
    active: 'billing',
  })
}

export const billingWebRoutes = new Hono<HonoEnv>()
  .get('/billing', requireCustomer(), showBilling)
  .get('/billing/', requireCustomer(), showBilling)
  .on('POST', ['/billing/checkout/', '/billing/checkout'], requireCustomer(), async (c) => {
    const { customer } = signedIn(c)
    const slug = planSlug.safeParse(field(await readForm(c), 'plan'))
    if (!slug.success) throw new AppError('NOT_FOUND', 'That plan does not exist or is not available.')
    const url = await withStripe(c, (stripe) =>
      startPlanPurchase(c.var.services.database.db, stripe, customer, slug.data, originOf(c)),
    )
    return navigateTo(c, url)
  })
  .on('POST', ['/billing/top-up/', '/billing/top-up'], requireCustomer(), async (c) => {
    const { customer } = signedIn(c)
    const amount = topUpDollars.safeParse(field(await readForm(c), 'amount') || undefined)
    if (!amount.success)
      throw new AppError('UNPROCESSABLE_ENTITY', amount.error.issues[0]?.message ?? 'Invalid amount.')
    const url = await withStripe(c, (stripe) =>
      startTopUp(c.var.services.database.db, stripe, customer, amount.data, originOf(c)),
    )
    return navigateTo(c, url)
  })
  .on('POST', ['/billing/portal/', '/billing/portal'], requireCustomer(), async (c) => {
    const { customer } = signedIn(c)
    const url = await withStripe(c, (stripe) =>
      openBillingPortal(c.var.services.database.db, stripe, customer, originOf(c)),
    )
    return navigateTo(c, url)
  })
