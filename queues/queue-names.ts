export const DOCUMENT_QUEUE = 'echoforge-documents'
/** The documents of customers who recently sent a bomb or have a burst in flight (src/knowledge/document-lanes.ts). */
export const SUSPECT_DOCUMENT_QUEUE = 'echoforge-documents-suspect'
export const DOCUMENT_DEAD_LETTER_QUEUE = 'echoforge-documents-dlq'
export const USAGE_QUEUE = 'echoforge-usage'
export const USAGE_DEAD_LETTER_QUEUE = 'echoforge-usage-dlq'
