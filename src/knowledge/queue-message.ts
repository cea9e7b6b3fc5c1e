import { z } from 'zod'

/** What the document queue carries: only the id; the consumer reads everything else fresh. */
export const documentMessageSchema = z.object({ documentId: z.uuid() })
export type DocumentMessage = z.infer<typeof documentMessageSchema>

export function enqueueDocument(queue: Queue, documentId: string): Promise<void> {
  return queue.send({ documentId } satisfies DocumentMessage, { contentType: 'json' }).then(() => undefined)
}
