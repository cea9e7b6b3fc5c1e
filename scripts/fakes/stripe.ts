// A small stand-in for the Stripe REST API in tests and local runs. The real `stripe` SDK is
// pointed at it through STRIPE_API_BASE. It keeps objects in memory and records every request.
//
// Stripe endpoints: POST /v1/customers, POST /v1/checkout/sessions,
// POST /v1/billing_portal/sessions, GET /v1/subscriptions/:id.
// Control endpoints for tests:
//   POST /__control/subscriptions  (JSON subscription object) stores or replaces it
//   POST /__control/failures       (JSON { path, params? }) answers 500 to requests on that path (whose
//                                  form params include `params`, when given); DELETE with the same body ends it
//   GET  /__control/requests       every request so far: { method, path, params }
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { sendJson, startHttpServer } from './http.ts'

export interface RecordedRequest {
  method: string
  path: string
  /** Form fields as the SDK encodes them, e.g. `line_items[0][price]`. */
  params: Record<string, string>
}

type StripeObject = Record<string, unknown> & { id: string }

const newId = (prefix: string) => `${prefix}_fake_${randomBytes(8).toString('hex')}`
const now = () => Math.floor(Date.now() / 1000)
/** What every object Stripe creates starts with. */
const newObject = (prefix: string, object: string) => ({ id: newId(prefix), object, created: now() })

function stripeError(res: ServerResponse, status: number, message: string, code?: string) {
  sendJson(res, status, { error: { type: 'invalid_request_error', message, ...(code ? { code } : {}) } })
}

/** Nested metadata fields (`metadata[key]=value`) back into an object. */
function nested(params: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    const match = new RegExp(`^${prefix}\\[([^\\]]+)\\]$`).exec(key)
    if (match?.[1]) out[match[1]] = value
  }
  return out
}

export async function startFakeStripe(port = 0) {
  const requests: RecordedRequest[] = []
  const customers = new Map<string, StripeObject>()
  const subscriptions = new Map<string, StripeObject>()
  const failures = new Map<string, { path: string; params?: Record<string, string> }>()
  const failureKey = (body: string) => {
    const failure = JSON.parse(body) as { path: string; params?: Record<string, string> }
    return [JSON.stringify(failure), failure] as const
  }
  const shouldFail = (path: string, params: Record<string, string>) =>
    [...failures.values()].some(
      (f) => f.path === path && Object.entries(f.params ?? {}).every(([k, v]) => params[k] === v),
    )

  return startHttpServer((req, body, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-stripe')
    const method = req.method ?? 'GET'
    const path = url.pathname

    if (path.startsWith('/__control/')) {
      if (method === 'GET' && path === '/__control/requests') return sendJson(res, 200, { requests })
      if (method === 'POST' && path === '/__control/subscriptions') {
        const subscription = JSON.parse(body) as StripeObject
        subscriptions.set(subscription.id, { object: 'subscription', ...subscription })
        return sendJson(res, 200, subscription)
      }
      if (method === 'POST' && path === '/__control/failures') {
        failures.set(...failureKey(body))
        return sendJson(res, 200, { ok: true })
      }
      if (method === 'DELETE' && path === '/__control/failures') {
        failures.delete(failureKey(body)[0])
        return sendJson(res, 200, { ok: true })
      }
      return stripeError(res, 404, `No control route ${method} ${path}`)
    }

    const params = Object.fromEntries(new URLSearchParams(method === 'GET' ? url.search : body))
    requests.push({ method, path, params })

    if (!/^Bearer sk_(test|live)_/.test(req.headers.authorization ?? '')) {
      return sendJson(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } })
    }
    if (shouldFail(path, params)) return sendJson(res, 500, { error: { type: 'api_error', message: 'fake outage' } })

    if (method === 'POST' && path === '/v1/customers') {
      const customer = {
        ...newObject('cus', 'customer'),
        email: params.email ?? null,
        name: params.name ?? null,
        metadata: nested(params, 'metadata'),
      }
      customers.set(customer.id, customer)
      return sendJson(res, 200, customer)
    }

    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (!params.customer) return stripeError(res, 400, 'customer is required by this stand-in')
      if (!params.success_url) return stripeError(res, 400, 'Missing required param: success_url.')
      const session = newObject('cs', 'checkout.session')
      return sendJson(res, 200, {
        ...session,
        mode: params.mode,
        customer: params.customer,
        client_reference_id: params.client_reference_id ?? null,
        metadata: nested(params, 'metadata'),
        success_url: params.success_url,
        cancel_url: params.cancel_url ?? null,
        status: 'open',
        payment_status: 'unpaid',
        url: `https://checkout.stripe.com/c/pay/${session.id}`,
      })
    }

    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!params.customer) return stripeError(res, 400, 'Missing required param: customer.')
      const session = newObject('bps', 'billing_portal.session')
      return sendJson(res, 200, {
        ...session,
        customer: params.customer,
        return_url: params.return_url ?? null,
        url: `https://billing.stripe.com/p/session/${session.id}`,
      })
    }

    const subscriptionMatch = /^\/v1\/subscriptions\/([^/]+)$/.exec(path)
    if (method === 'GET' && subscriptionMatch?.[1]) {
      const subscription = subscriptions.get(decodeURIComponent(subscriptionMatch[1]))
      if (!subscription)
        return stripeError(res, 404, `No such subscription: '${subscriptionMatch[1]}'`, 'resource_missing')
      return sendJson(res, 200, subscription)
    }
    if (method === 'POST' && subscriptionMatch?.[1]) {
      const subscription = subscriptions.get(decodeURIComponent(subscriptionMatch[1]))
      if (!subscription)
        return stripeError(res, 404, `No such subscription: '${subscriptionMatch[1]}'`, 'resource_missing')
      const items = (subscription.items as { data: Array<{ id: string; price: { id: string } }> } | undefined)?.data
      const item = items?.find((i) => i.id === params['items[0][id]'])
      if (params['items[0][price]']) {
        if (!item) return stripeError(res, 400, `No such subscription item: '${params['items[0][id]']}'`)
        item.price = { ...item.price, id: params['items[0][price]'] }
      }
      subscription.metadata = { ...(subscription.metadata as object | undefined), ...nested(params, 'metadata') }
      return sendJson(res, 200, subscription)
    }

    return stripeError(res, 404, `Unrecognized request URL (${method}: ${path}).`)
  }, port)
}

// `node scripts/fakes/stripe.ts [port]`: the stand-in on its own, for trying checkout locally
// (STRIPE_API_BASE=http://127.0.0.1:12111 with any sk_test_ key in .dev.vars).
if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startFakeStripe(Number(process.argv[2] ?? 12111))
  console.log(`fake Stripe API on ${server.url}`)
}
