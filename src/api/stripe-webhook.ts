import { Hono } from 'hono'
import { createStripe } from '../billing/stripe/client'
import { processStripeEvent } from '../billing/stripe/events'
import { verifyStripeEvent } from '../billing/stripe/verify'
import type { HonoEnv } from '../types'

/** Stripe's webhook endpoint: JSON answers, no session or CSRF (the signature is the authentication). */
export const billingWebhook = new Hono<HonoEnv>()

billingWebhook.on('POST', ['/billing/webhook/', '/billing/webhook'], async (c) => {
  const { config, logger, database, edge } = c.var.services
  const event = await verifyStripeEvent(
    await c.req.text(),
    c.req.header('Stripe-Signature'),
    config.STRIPE_WEBHOOK_SECRET ?? [],
  ).catch((error: unknown) => {
    logger.warn('stripe webhook rejected', { reason: error instanceof Error ? error.message : 'unknown' })
    throw error
  })
  const outcome = await processStripeEvent(
    { db: database.db, stripe: () => createStripe(config), changed: edge.changed },
    event,
  )
  logger.info('stripe event', { stripe_event: event.id, stripe_event_type: event.type, outcome })
  return c.json({ received: true, outcome })
})
