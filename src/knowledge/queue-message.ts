import { z } from 'zod'
import type { Executor } from '../db/client'
import { type DocumentLane, type DocumentQueues, documentLane } from './document-lanes'

/** What the documents queues carry: only the id; the consumer reads everything else fresh. */
export const documentMessageSchema = z.object({ documentId: z.uuid() })
export type DocumentMessage = z.infer<typeof documentMessageSchema>

/** Onto the lane its customer's recent documents call for (documentLane); answers which one. */
export async function enqueueDocument(
  db: Executor,
  queues: DocumentQueues,
  doc: { id: string; customerId: string },
): Promise<DocumentLane> {
  const lane = await documentLane(db, doc.customerId)
  await queues[lane].send({ documentId: doc.id } satisfies DocumentMessage, { contentType: 'json' })
  return lane
}
