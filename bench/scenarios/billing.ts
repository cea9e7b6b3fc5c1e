// Stripe webhooks under load: signature verification + exactly-once processing.
import { randomUUID } from 'node:crypto'
import Stripe from 'stripe'
import { TOP_UP_CURRENCY, TOP_UP_MIN_DOLLARS, topUpMetadata } from '../../src/billing/stripe/top-up.ts'
import { type BenchContext, type CustomBenchmark, effect, type HttpScenario } from '../types.ts'

const WEBHOOK_SECRET = 'whsec_bench' // bench/run.ts gives the Worker this secret
const DISTINCT_EVENTS = 400
const CONCURRENCY = 10
/** The smallest top-up the product offers: a smaller one is no top-up, and the webhook ignores it. */
const CENTS_PER_EVENT = TOP_UP_MIN_DOLLARS * 100

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
        // What the app's own checkout puts there: the webhook credits only the amount requested.
        metadata: topUpMetadata(customer.id, CENTS_PER_EVENT),
        payment_status: 'paid',
        currency: TOP_UP_CURRENCY,
        amount_total: CENTS_PER_EVENT,
      },
    },
  })
}

async function balanceCents(ctx: BenchContext, customerId: string): Promise<number> {
  const [row] = await ctx.sql`SELECT balance_cents FROM extra_usage_balances WHERE customer_id = ${customerId}`
  return Number(row?.balance_cents ?? 0)
}

const sign = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })

/** The same signed event delivered over and over: verification plus the duplicate check. */
const redelivered: HttpScenario = {
  name: 'billing: POST /billing/webhook/ (redelivered event)',
  async setup(ctx) {
    const customer = await benchCustomer(ctx)
    const body = topUpEvent(customer)
    const headers = { 'Content-Type': 'application/json', 'Stripe-Signature': sign(body) }
    const first = await fetch(`${ctx.baseUrl}/billing/webhook/`, { method: 'POST', headers, body })
    if (!first.ok) throw new Error(`webhook answered ${first.status}`)
    return {
      method: 'POST',
      path: '/billing/webhook/',
      headers,
      body,
      // However often it arrives, the event credits once.
      verify: async ({ answered }) => [
        effect(
          `balance credited once over ${answered + 1} deliveries (cents)`,
          (await balanceCents(ctx, customer.id)) === CENTS_PER_EVENT,
          `${await balanceCents(ctx, customer.id)} / ${CENTS_PER_EVENT}`,
        ),
      ],
    }
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
    const balance = await balanceCents(ctx, customer.id)
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1)
    return [
      {
        metric: `events/s (${DISTINCT_EVENTS} events, ${CONCURRENCY} concurrent)`,
        value: (bodies.length / seconds).toFixed(0),
      },
      { metric: 'latency p50 / p99 (ms)', value: `${pct(0.5)} / ${pct(0.99)}` },
      effect('non-2xx answers (Stripe would retry)', failures === 0, String(failures)),
      // Every event was answered 2xx, so every one must have credited: no "expected" that shrinks with failures.
      effect(
        'balance credited / expected (cents)',
        balance === DISTINCT_EVENTS * CENTS_PER_EVENT,
        `${balance} / ${DISTINCT_EVENTS * CENTS_PER_EVENT}`,
      ),
    ]
  },
}

export const billingScenarios: HttpScenario[] = [redelivered]
export const billingBenchmarks: CustomBenchmark[] = [distinctEvents]
