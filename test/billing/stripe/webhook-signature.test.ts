import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../../../src/app'
import * as s from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { env } from '../../support/env'
import { factories, uniq } from '../../support/factories'
import { createExecutionContext } from '../../support/http'
import { nowSeconds, postWebhook, signature, stripeEvent, WEBHOOK_SECRET } from '../../support/stripe'

/** A top-up event: if it were applied, the customer's balance would show it. */
async function topUpEvent() {
  const { db } = testDb()
  const customer = await factories(db).customer()
  const event = stripeEvent('checkout.session.completed', {
    id: `cs_test_${uniq()}`,
    mode: 'payment',
    customer: customer.stripeCustomerId,
    metadata: { customer_id: customer.id, kind: 'top_up' },
    payment_status: 'paid',
    amount_total: 500,
  })
  const noSideEffect = async () => {
    expect(
      await db.query.extraUsageBalances.findFirst({ where: eq(s.extraUsageBalances.customerId, customer.id) }),
    ).toBeUndefined()
    expect(await db.query.stripeEvents.findFirst({ where: eq(s.stripeEvents.id, event.id) })).toBeUndefined()
  }
  return { event, body: JSON.stringify(event), noSideEffect }
}

async function expectRejected(res: Response) {
  expect(res.status).toBe(400)
  const body = (await res.json()) as { error: { code: string; request_id: string } }
  expect(body.error.code).toBe('BAD_REQUEST')
  expect(body.error.request_id).toBeTruthy()
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('webhook signature', () => {
  it('rejects a missing signature', async () => {
    const { body, noSideEffect } = await topUpEvent()
    await expectRejected(await postWebhook(body))
    await noSideEffect()
  })

  it('rejects a garbage signature', async () => {
    const { body, noSideEffect } = await topUpEvent()
    await expectRejected(await postWebhook(body, 't=1,v1=deadbeef'))
    await noSideEffect()
  })

  it('rejects a signature 301 seconds old and accepts one 290 seconds old', async () => {
    const { body, noSideEffect } = await topUpEvent()
    await expectRejected(await postWebhook(body, await signature(body, { timestamp: nowSeconds() - 301 })))
    await noSideEffect()
    const fresh = await postWebhook(body, await signature(body, { timestamp: nowSeconds() - 290 }))
    expect(fresh.status).toBe(200)
  })

  it('rejects a body signed with another secret', async () => {
    const { body, noSideEffect } = await topUpEvent()
    await expectRejected(await postWebhook(body, await signature(body, { secret: 'whsec_someone_else' })))
    await noSideEffect()
  })

  it('rejects a re-serialised body (same JSON, different bytes)', async () => {
    const { event, noSideEffect } = await topUpEvent()
    const signedBody = JSON.stringify(event, null, 2)
    const header = await signature(signedBody)
    await expectRejected(await postWebhook(JSON.stringify(event), header))
    await noSideEffect()
  })

  it('rejects a tampered amount', async () => {
    const { body, noSideEffect } = await topUpEvent()
    const header = await signature(body)
    await expectRejected(await postWebhook(body.replace('"amount_total":500', '"amount_total":50000'), header))
    await noSideEffect()
  })

  it('accepts any configured secret during a rotation', async () => {
    const rotatingEnv = { ...env, STRIPE_WEBHOOK_SECRET: `whsec_new_${uniq()}, ${WEBHOOK_SECRET}` }
    const newSecret = rotatingEnv.STRIPE_WEBHOOK_SECRET.split(',')[0] as string
    for (const secret of [newSecret, WEBHOOK_SECRET]) {
      const { body } = await topUpEvent()
      const res = await createApp().fetch(
        new Request('http://localhost/billing/webhook/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Stripe-Signature': await signature(body, { secret }) },
          body,
        }),
        rotatingEnv,
        createExecutionContext(),
      )
      expect(res.status).toBe(200)
    }
  })

  it('rejects a correctly signed body that is not a Stripe event (not JSON)', async () => {
    const body = `{"id":"evt_${uniq()}","type":"checkout.session.completed",`
    const res = await postWebhook(body, await signature(body))
    await expectRejected(res.clone())
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'The webhook body is not a Stripe event.',
    )
  })

  it('answers 503 without a configured webhook secret, and applies nothing', async () => {
    const { STRIPE_WEBHOOK_SECRET: _configured, ...unconfigured } = env
    const { body, noSideEffect } = await topUpEvent()
    const res = await createApp().fetch(
      new Request('http://localhost/billing/webhook/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Stripe-Signature': await signature(body) },
        body,
      }),
      unconfigured,
      createExecutionContext(),
    )
    expect(res.status).toBe(503)
    const answer = (await res.json()) as { error: { code: string; message: string } }
    expect(answer.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Stripe webhooks are not configured.' })
    await noSideEffect()
  })

  it('never writes the signature or the secret to logs or answers', async () => {
    const lines: string[] = []
    for (const method of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '))
      })
    }
    const { body } = await topUpEvent()
    const wrong = await signature(body, { secret: 'whsec_someone_else' })
    const good = await signature(body)
    const verboseEnv = { ...env, LOG_LEVEL: 'debug' }
    const post = (header: string) =>
      createApp().fetch(
        new Request('http://localhost/billing/webhook/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
          body,
        }),
        verboseEnv,
        createExecutionContext(),
      )
    const answers = [await post(wrong), await post(good)]
    const texts = await Promise.all(answers.map((r) => r.text()))
    const everything = [...lines, ...texts].join('\n')
    expect(everything).toContain('stripe webhook rejected')
    expect(everything).toContain('stripe event')
    for (const secret of [WEBHOOK_SECRET, 'whsec_someone_else', wrong, good, ...good.split(',').slice(1)]) {
      expect(everything).not.toContain(secret)
    }
  })
})
