import Stripe from 'stripe'
import { InvalidInput, Unavailable } from '../../errors'

export const SIGNATURE_TOLERANCE_SECONDS = 300
/** Stripe's events are a few KB (the largest well under 100 KB); nothing legitimate comes near this. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024

/**
 * Verifies the `Stripe-Signature` header on the raw body against every configured secret
 * (several during a rotation) and returns the event. Anything else is a 400, never an effect.
 */
export async function verifyStripeEvent(rawBody: string, signature: string | undefined, secrets: readonly string[]) {
  if (!signature) throw new InvalidInput('Missing Stripe-Signature header.')
  if (secrets.length === 0) throw new Unavailable('Stripe webhooks are not configured.')
  const cryptoProvider = Stripe.createSubtleCryptoProvider()
  for (const secret of secrets) {
    try {
      return await Stripe.webhooks.constructEventAsync(
        rawBody,
        signature,
        secret,
        SIGNATURE_TOLERANCE_SECONDS,
        cryptoProvider,
      )
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
        throw new InvalidInput('The webhook body is not a Stripe event.')
      }
    }
  }
  throw new InvalidInput('Invalid Stripe signature.')
}
