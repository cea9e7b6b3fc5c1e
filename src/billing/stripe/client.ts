import Stripe from 'stripe'
import type { AppConfig } from '../../env'
import { Unavailable } from '../../errors'

export type { Stripe }

/** A Stripe client for one request or job; `STRIPE_API_BASE` points it at a stand-in (tests, local runs). */
export function createStripe(config: AppConfig): Stripe {
  if (!config.STRIPE_SECRET_KEY) throw new Unavailable('Billing is not configured on this server.')
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined
  return new Stripe(config.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 1,
    timeout: 15_000,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'http:' ? 'http' : 'https',
        }
      : {}),
  })
}
