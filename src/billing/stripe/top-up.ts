import type { CheckoutSessionSnapshot } from './objects'

/** Checkout Sessions in payment mode with this `metadata.kind` credit the extra usage balance. */
export const TOP_UP_KIND = 'top_up'
/** Top-ups in whole dollars: enough to matter, not so much that a typo hurts. */
export const TOP_UP_MIN_DOLLARS = 5
export const TOP_UP_MAX_DOLLARS = 1000
export const TOP_UP_CURRENCY = 'usd'

/** What a top-up session carries in its metadata, so the webhook can check what was paid against it. */
export const topUpMetadata = (customerId: string, cents: number) => ({
  customer_id: customerId,
  kind: TOP_UP_KIND,
  amount_cents: String(cents),
})

/**
 * The amount a paid top-up credits, or null when it is not one the product offered: the currency must
 * be ours and the amount the one requested when the session was created (kept in its metadata).
 */
export function paidTopUpCents(session: CheckoutSessionSnapshot): number | null {
  const requested = Number(session.metadata?.amount_cents)
  const offered =
    Number.isInteger(requested) && requested >= TOP_UP_MIN_DOLLARS * 100 && requested <= TOP_UP_MAX_DOLLARS * 100
  if (!offered || session.currency !== TOP_UP_CURRENCY || session.amount_total !== requested) return null
  return requested
}
