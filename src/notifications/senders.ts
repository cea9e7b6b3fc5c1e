import { z } from 'zod'
import type { AppConfig } from '../env'
import type { NotificationSender, OutgoingEmail } from './sender'

/** Local and test runs: the outbox row is the notification; nothing leaves the machine. */
export const outboxOnlySender: NotificationSender = {
  name: 'outbox',
  send: async () => ({ providerMessageId: null }),
}

const providerAnswer = z.object({ id: z.string() }).partial()

/** An HTTP email API (Resend-compatible: `POST {from, to, subject, text}` with a bearer key). */
export function httpEmailSender(url: string, apiKey: string, from: string): NotificationSender {
  return {
    name: 'http-email',
    async send(message: OutgoingEmail) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ from, to: [message.to], subject: message.subject, text: message.text }),
        signal: AbortSignal.timeout(10_000),
      })
      if (!res.ok) throw new Error(`email provider answered ${res.status}`)
      // Untested: the test services have no email stand-in (tests keep mail in the outbox). An answer
      // that is not JSON still means sent, only without a provider id.
      const parsed = providerAnswer.safeParse(await res.json().catch(() => ({})))
      return { providerMessageId: parsed.success ? (parsed.data.id ?? null) : null }
    },
  }
}

/** The configured provider, or the outbox alone when none is configured. */
export function createSender(config: AppConfig): NotificationSender {
  if (config.EMAIL_API_URL && config.EMAIL_API_KEY && config.EMAIL_FROM) {
    return httpEmailSender(config.EMAIL_API_URL, config.EMAIL_API_KEY, config.EMAIL_FROM)
  }
  return outboxOnlySender
}
