import type { NewNotification } from './outbox'

interface Recipient {
  id: string
  name: string
  email: string
}

const billingUrl = (origin: string | undefined) => `${origin ?? ''}/billing/`

export function graceExpiredNotification(customer: Recipient, graceEndedAt: Date, origin?: string): NewNotification {
  return {
    customerId: customer.id,
    kind: 'grace_expired',
    recipient: customer.email,
    subject: 'Your EchoForge agents are paused',
    body: [
      `Hello ${customer.name},`,
      '',
      `The grace period on your account ended at ${graceEndedAt.toISOString()} and your plan's limits are still`,
      'exceeded or your last payment did not go through, so your agents no longer answer.',
      `Update your payment method, top up your balance or choose a bigger plan at ${billingUrl(origin)}`,
      'and your agents are switched back on as soon as the payment arrives.',
    ].join('\n'),
    dedupeKey: `grace_expired:${customer.id}:${graceEndedAt.toISOString()}`,
  }
}

export function trialExpiredNotification(
  customer: Recipient,
  subscriptionId: string,
  trialEndedAt: Date,
  origin?: string,
): NewNotification {
  return {
    customerId: customer.id,
    kind: 'trial_expired',
    recipient: customer.email,
    subject: 'Your EchoForge trial has ended',
    body: [
      `Hello ${customer.name},`,
      '',
      `Your free trial ended at ${trialEndedAt.toISOString()}. Your agents and knowledge bases are kept;`,
      `choose a plan at ${billingUrl(origin)} to have your agents answer again.`,
    ].join('\n'),
    dedupeKey: `trial_expired:${subscriptionId}:${trialEndedAt.toISOString()}`,
  }
}
