// Stripe webhooks under load: signature verification + exactly-once processing.
import { randomUUID } from 'node:crypto'
import Stripe from 'stripe'
import type { BenchContext, CustomBenchmark, HttpScenario } from '../types.ts'

const WEBHOOK_SECRET = 'whsec_bench' // bench/run.ts gives the Worker this secret
const DISTINCT_EVENTS = 400
const CONCURRENCY = 10
const CENTS_PER_EVENT = 100

async function benchCustomer(ctx: BenchContext) {
  const tag = randomUUID().slice(0, 8)
  const [customer] = await ctx.sql`
    INSERT INTO customers (name, slug, email, stripe_customer_id)
    VALUES (${`Bench billing ${tag}`}, ${`bench-billing-${tag}`}, ${`bench-billing-${tag}@example.com`}, ${`cus_bench_${tag}`})
    RETURNING id, stripe_customer_id`
  return { id: customer!.id as string, stripeCustomerId: customer!.stripe_customer_id as string }
}

function topUpEvent(customer: { id: string; stripeCustomerId: string }) {
  return JSON.stringify({
    id: `evt_bench_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    created: Math.floor(Date.now() / 1000),
    type: 'checkout.session.completed',
    data: {
      object: {
        id: `cs_bench_${randomUUID().slice(0, 12)}`,
        mode: 'payment',
        customer: customer.stripeCustomerId,
        metadata: { customer_id: customer.id, kind: 'top_up' },
        payment_status: 'paid',
        amount_total: CENTS_PER_EVENT,
      },
    },
  })
}

const sign = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })

/** The same signed event delivered over and over: verification plus the duplicate check. */
const redelivered: HttpScenario = {
  name: 'billing: POST /billing/webhook/ (redelivered event)',
  async setup(ctx) {
    const body = topUpEvent(await benchCustomer(ctx))
    const headers = { 'Content-Type': 'application/json', 'Stripe-Signature': sign(body) }
    const first = await fetch(`${ctx.baseUrl}/billing/webhook/`, { method: 'POST', headers, body })
    if (!first.ok) throw new Error(`webhook answered ${first.status}`)
    return { method: 'POST', path: '/billing/webhook/', headers, body }
  },
}

/** Distinct top-up events, CONCURRENCY at a time: each one credits once; the balance must add up. */
const distinctEvents: CustomBenchmark = {
  name: 'billing: distinct webhook events',
  async run(ctx) {
    const customer = await benchCustomer(ctx)
    const bodies = Array.from({ length: DISTINCT_EVENTS }, () => topUpEvent(customer))
    const latencies: number[] = []
    let failures = 0
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!
          const t = performance.now()
          const res = await fetch(`${ctx.baseUrl}/billing/webhook/`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Stripe-Signature': sign(body) },
            body,
          })
          await res.arrayBuffer()
          latencies.push(performance.now() - t)
          if (!res.ok) failures++
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    const [row] = await ctx.sql`SELECT balance_cents FROM extra_usage_balances WHERE customer_id = ${customer.id}`
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1)
    return [
      {
        metric: `events/s (${DISTINCT_EVENTS} events, ${CONCURRENCY} concurrent)`,
        value: (bodies.length / seconds).toFixed(0),
      },
      { metric: 'latency p50 / p99 (ms)', value: `${pct(0.5)} / ${pct(0.99)}` },
      { metric: 'non-2xx answers (Stripe would retry)', value: String(failures) },
      {
        metric: 'balance credited / expected (cents)',
        value: `${row?.balance_cents ?? 0} / ${(DISTINCT_EVENTS - failures) * CENTS_PER_EVENT}`,
      },
    ]
  },
}

export const billingScenarios: HttpScenario[] = [redelivered]
export const billingBenchmarks: CustomBenchmark[] = [distinctEvents]
