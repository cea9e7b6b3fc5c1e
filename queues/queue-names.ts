export const DOCUMENT_QUEUE = 'echoforge-documents'
export const DOCUMENT_DEAD_LETTER_QUEUE = 'echoforge-documents-dlq'
export const USAGE_QUEUE = 'echoforge-usage'
export const USAGE_DEAD_LETTER_QUEUE = 'echoforge-usage-dlq'
