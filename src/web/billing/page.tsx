import type { FC } from 'hono/jsx'
import { LEDGER_LABELS } from '../../billing/ledger'
import type { BillingOverview } from '../../billing/overview'
import { TOP_UP_MAX_DOLLARS, TOP_UP_MIN_DOLLARS } from '../../billing/stripe/top-up'
import type { PlanLimits } from '../../db/schema'
import { PlanBanners } from '../shared/banners'
import { CsrfField } from '../shared/layout'
import { formatNumber, UsageMeters } from '../shared/usage-meters'

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`
const date = (d: Date) => d.toISOString().slice(0, 10)

const FLASH: Record<string, string> = {
  'checkout=success': 'Thank you! Your plan changes as soon as Stripe confirms the payment (usually within seconds).',
  'checkout=canceled': 'Checkout was canceled; nothing was charged.',
  'top_up=success': 'Thank you! The top-up is added to your balance as soon as Stripe confirms the payment.',
  'top_up=canceled': 'The top-up was canceled; nothing was charged.',
  'changed=1': 'Your subscription change was sent to Stripe; this page shows it once Stripe confirms.',
}

const LIMIT_LABELS: [keyof PlanLimits, string][] = [
  ['messages', 'messages'],
  ['tokens', 'tokens'],
  ['agents', 'agents'],
  ['knowledge_bases', 'knowledge bases'],
]

/** Forms that leave for Stripe are plain navigations (hx-boost off): Stripe's pages are another origin. */
const StripeForm: FC<{ action: string; csrf: string; children: unknown }> = ({ action, csrf, children }) => (
  <form method="post" action={action} hx-boost="false" class="inline">
    <CsrfField token={csrf} />
    {children}
  </form>
)

export interface BillingPageProps {
  overview: BillingOverview
  csrf: string
  flash: string | null
  /** A refused top-up: what was typed and why it was refused. */
  topUp?: { amount: string; error: string }
}

export const BillingPage: FC<BillingPageProps> = ({ overview, csrf, flash, topUp }) => {
  const { plan, usage, agents, knowledgeBases } = overview
  const limits = plan?.limits ?? {}
  return (
    <>
      <div class="spread">
        <h1>Billing</h1>
        <StripeForm action="/billing/portal/" csrf={csrf}>
          <button type="submit" class="button">
            Manage billing
          </button>
        </StripeForm>
      </div>
      {flash ? (
        <div class="notice info" role="status">
          <p>{flash}</p>
        </div>
      ) : null}
      <PlanBanners plan={plan} gracePeriodEndsAt={overview.gracePeriodEndsAt} />

      <section class="card" aria-labelledby="current-plan">
        <h2 id="current-plan">Current plan</h2>
        {plan ? (
          <>
            <p>
              <strong>{plan.name}</strong>{' '}
              <span class={`badge ${plan.status}`}>{plan.status.replaceAll('_', ' ')}</span>
            </p>
            <p class="muted">
              Period {date(plan.currentPeriodStart)} to {date(plan.currentPeriodEnd)}
              {plan.trialEndsAt ? ` · trial ends ${date(plan.trialEndsAt)}` : ''}
              {overview.cancelAtPeriodEnd ? ` · cancels on ${date(plan.currentPeriodEnd)}` : ''}
            </p>
            {overview.gracePeriodEndsAt ? (
              <p class="muted">Grace period ends {overview.gracePeriodEndsAt.toISOString().replace('.000Z', 'Z')}</p>
            ) : null}
          </>
        ) : (
          <p>You have no plan yet. Choose one below.</p>
        )}
      </section>

      <h2>Usage this period</h2>
      <UsageMeters usage={usage} agents={agents.length} knowledgeBases={knowledgeBases.length} limits={limits} />

      <section class="card" aria-labelledby="extra-balance">
        <h2 id="extra-balance">Extra usage balance</h2>
        <p>
          <strong data-testid="balance">{money(overview.balanceCents)}</strong>
          <span class="muted"> prepaid, used once a plan limit is reached</span>
        </p>
        <StripeForm action="/billing/top-up/" csrf={csrf}>
          <label for="top-up-amount">Top up (US dollars)</label>{' '}
          <input
            id="top-up-amount"
            name="amount"
            type="number"
            inputmode="numeric"
            min={TOP_UP_MIN_DOLLARS}
            max={TOP_UP_MAX_DOLLARS}
            step={1}
            value={topUp?.amount ?? '25'}
            required
            aria-invalid={topUp ? 'true' : undefined}
            aria-describedby={topUp ? 'top-up-amount-error' : undefined}
          />{' '}
          <button type="submit" class="button small">
            Top up
          </button>
          {topUp ? (
            <p class="error" id="top-up-amount-error">
              {topUp.error}
            </p>
          ) : null}
        </StripeForm>
        {overview.ledger.length > 0 ? (
          <table class="small" data-testid="balance-ledger">
            <caption>Latest balance changes</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Change</th>
                <th scope="col">Amount</th>
                <th scope="col">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {overview.ledger.map((entry) => (
                <tr>
                  <td>{date(entry.createdAt)}</td>
                  <td>
                    {LEDGER_LABELS[entry.kind]}
                    {entry.periodStart ? ` (period from ${date(entry.periodStart)})` : ''}
                  </td>
                  <td>{entry.amountCents < 0 ? `−${money(-entry.amountCents)}` : `+${money(entry.amountCents)}`}</td>
                  <td>{money(entry.balanceAfterCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <h2>Plans</h2>
      <div class="grid">
        {overview.plans.map((p) => {
          const current = p.slug === overview.currentPlanSlug && plan?.status !== 'expired'
          return (
            <div class="card">
              <h3>{p.name}</h3>
              <p>
                <strong>{money(p.priceCents)}</strong>
                <span class="muted"> / {p.billingPeriod === 'yearly' ? 'year' : 'month'}</span>
              </p>
              {p.description ? <p class="muted small">{p.description}</p> : null}
              <ul class="small">
                {LIMIT_LABELS.map(([key, label]) => (
                  <li>
                    {p.limits[key] === undefined
                      ? `Unlimited ${label}`
                      : `${formatNumber(p.limits[key] as number)} ${label}`}
                  </li>
                ))}
              </ul>
              {current ? (
                <p class="badge active">Current plan</p>
              ) : (
                <StripeForm action="/billing/checkout/" csrf={csrf}>
                  <input type="hidden" name="plan" value={p.slug} />
                  <button type="submit" class="button small">
                    {plan ? `Switch to ${p.name}` : `Choose ${p.name}`}
                  </button>
                </StripeForm>
              )}
            </div>
          )
        })}
      </div>
    </>
  )
}

export function flashFor(search: URLSearchParams): string | null {
  for (const [key, value] of search) {
    const message = FLASH[`${key}=${value}`]
    if (message) return message
  }
  return null
}
