import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Executor } from '../db/client'
import { notifications } from '../db/schema'
import type { Logger } from '../platform/logger'
import type { NotificationSender } from './sender'

export interface NewNotification {
  customerId: string | null
  kind: string
  recipient: string
  subject: string
  body: string
  /** One notification per key, ever: re-running a job cannot send it twice. */
  dedupeKey: string
}

/** Records a notification to send (inside the caller's transaction); false when its key was already used. */
export async function enqueueNotification(db: Executor, notification: NewNotification): Promise<boolean> {
  const inserted = await db
    .insert(notifications)
    .values(notification)
    .onConflictDoNothing({ target: notifications.dedupeKey })
    .returning({ id: notifications.id })
  return inserted.length > 0
}

/**
 * Sends pending notifications, oldest first. Each row is claimed (pending → sent) before it is sent,
 * so two overlapping runs never send one twice; a failed send turns the row to `failed`.
 */
export async function deliverPending(
  db: Executor,
  sender: NotificationSender,
  logger: Logger,
  options: { ids?: string[]; limit?: number } = {},
) {
  const pending = await db.query.notifications.findMany({
    where: and(eq(notifications.status, 'pending'), options.ids ? inArray(notifications.id, options.ids) : undefined),
    orderBy: asc(notifications.createdAt),
    limit: options.limit ?? 100,
  })
  let sent = 0
  let failed = 0
  for (const row of pending) {
    const claimed = await db
      .update(notifications)
      .set({ status: 'sent', sentAt: new Date() })
      .where(and(eq(notifications.id, row.id), eq(notifications.status, 'pending')))
      .returning({ id: notifications.id })
    if (claimed.length === 0) continue
    try {
      const { providerMessageId } = await sender.send({ to: row.recipient, subject: row.subject, text: row.body })
      if (providerMessageId) {
        await db.update(notifications).set({ providerMessageId }).where(eq(notifications.id, row.id))
      }
      sent++
    } catch (error) {
      logger.error('notification not delivered', { notification: row.id, kind: row.kind, provider: sender.name, error })
      await db.update(notifications).set({ status: 'failed', sentAt: null }).where(eq(notifications.id, row.id))
      failed++
    }
  }
  return { sent, failed }
}
