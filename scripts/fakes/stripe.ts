// A stand-in for the Stripe API in tests (issue: Stripe billing). The real `stripe` SDK
// is pointed at it through STRIPE_API_BASE.
import { sendJson, startHttpServer } from './http.ts'

export async function startFakeStripe() {
  return startHttpServer((_req, _body, res) =>
    sendJson(res, 501, { error: { type: 'api_error', message: 'fake Stripe: not implemented yet' } }),
  )
}
