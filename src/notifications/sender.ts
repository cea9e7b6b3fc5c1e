/** An email to one recipient. */
export interface OutgoingEmail {
  to: string
  subject: string
  text: string
}

/** Delivers a notification; the outbox records it either way. */
export interface NotificationSender {
  readonly name: string
  send(message: OutgoingEmail): Promise<{ providerMessageId: string | null }>
}
