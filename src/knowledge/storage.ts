export interface DocumentLocation {
  customerId: string
  knowledgeBaseId: string
  documentId: string
}

/** The R2 key of a document's bytes: from ids only, never from the uploaded file name. */
export function documentObjectKey({ customerId, knowledgeBaseId, documentId }: DocumentLocation): string {
  return `customers/${customerId}/knowledge-bases/${knowledgeBaseId}/documents/${documentId}`
}
