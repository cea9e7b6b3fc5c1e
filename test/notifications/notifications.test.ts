import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as s from '../../src/db/schema'
import type { AppConfig } from '../../src/env'
import { deliverPending, enqueueNotification } from '../../src/notifications/outbox'
import type { NotificationSender, OutgoingEmail } from '../../src/notifications/sender'
import { createSender, outboxOnlySender } from '../../src/notifications/senders'
import { createLogger } from '../../src/platform/logger'
import { testDb } from '../support/db'
import { testConfig } from '../support/env'
import { factories, uniq } from '../support/factories'

const quiet = createLogger({}, 'silent')

async function queued(db: ReturnType<typeof testDb>['db']) {
  const customer = await factories(db).customer()
  const dedupeKey = `test:${customer.id}:${uniq()}`
  const message = {
    customerId: customer.id,
    kind: 'test',
    recipient: customer.email,
    subject: 'Hi',
    body: 'Hello',
    dedupeKey,
  }
  return { customer, dedupeKey, message }
}

describe('notifications outbox', () => {
  it('records a notification once per dedupe key', async () => {
    const { db } = testDb()
    const { customer, message } = await queued(db)
    expect(await enqueueNotification(db, message)).toBe(true)
    expect(await enqueueNotification(db, { ...message, body: 'again' })).toBe(false)
    const rows = await db.query.notifications.findMany({ where: eq(s.notifications.customerId, customer.id) })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ status: 'pending', body: 'Hello' })
  })

  it('sends through the sender, stores the provider id, and sends each row once', async () => {
    const { db } = testDb()
    const { customer, message } = await queued(db)
    await enqueueNotification(db, message)
    const sent: OutgoingEmail[] = []
    const sender: NotificationSender = {
      name: 'recording',
      send: async (m) => {
        sent.push(m)
        return { providerMessageId: `msg_${sent.length}` }
      },
    }
    const row = await db.query.notifications.findFirst({ where: eq(s.notifications.dedupeKey, message.dedupeKey) })
    await deliverPending(db, sender, quiet, { ids: [row!.id] })
    await deliverPending(db, sender, quiet, { ids: [row!.id] })
    expect(sent).toEqual([{ to: customer.email, subject: 'Hi', text: 'Hello' }])
    const after = await db.query.notifications.findFirst({ where: eq(s.notifications.id, row!.id) })
    expect(after).toMatchObject({ status: 'sent', providerMessageId: 'msg_1' })
    expect(after?.sentAt).toBeInstanceOf(Date)
  })

  it('marks a notification the provider refused as failed', async () => {
    const { db } = testDb()
    const { message } = await queued(db)
    await enqueueNotification(db, message)
    const row = await db.query.notifications.findFirst({ where: eq(s.notifications.dedupeKey, message.dedupeKey) })
    const failing: NotificationSender = {
      name: 'down',
      send: async () => {
        throw new Error('provider down')
      },
    }
    expect(await deliverPending(db, failing, quiet, { ids: [row!.id] })).toEqual({ sent: 0, failed: 1 })
    const after = await db.query.notifications.findFirst({ where: eq(s.notifications.id, row!.id) })
    expect(after).toMatchObject({ status: 'failed', sentAt: null })
  })

  it('uses the outbox alone unless an email provider is fully configured', () => {
    const config = testConfig()
    expect(createSender(config)).toBe(outboxOnlySender)
    const partial: AppConfig = { ...config, EMAIL_API_URL: 'https://email.example/send' }
    expect(createSender(partial)).toBe(outboxOnlySender)
    const full: AppConfig = { ...partial, EMAIL_API_KEY: 'key', EMAIL_FROM: 'EchoForge <billing@example.com>' }
    expect(createSender(full).name).toBe('http-email')
  })
})
