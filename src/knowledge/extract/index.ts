import type { DocumentType } from '../file-types'
import { MAX_EXTRACTED_CHARS } from '../limits'
import { docxToText } from './docx'
import { unreadable } from './errors'
import { htmlToText } from './html'
import { markdownToText } from './markdown'
import { pdfToText } from './pdf'
import { decodeUtf8, normaliseWhitespace } from './text'

const LABEL: Record<DocumentType, string> = {
  txt: 'text file',
  md: 'Markdown file',
  html: 'HTML file',
  pdf: 'PDF',
  docx: 'Word document',
}

async function rawText(type: DocumentType, bytes: Uint8Array): Promise<string> {
  switch (type) {
    case 'txt':
      return decodeUtf8(bytes)
    case 'md':
      return markdownToText(decodeUtf8(bytes))
    case 'html':
      return htmlToText(decodeUtf8(bytes))
    case 'pdf':
      return pdfToText(bytes)
    case 'docx':
      return docxToText(bytes)
  }
}

/**
 * The plain text of a document. Empty files, files without text, and files too long to
 * index fail with a message meant for the customer.
 */
export async function extractText(type: DocumentType, bytes: Uint8Array): Promise<string> {
  if (bytes.byteLength === 0) throw unreadable('The file is empty (0 bytes)')
  const text = normaliseWhitespace(await rawText(type, bytes))
  if (!text) {
    const hint = type === 'pdf' ? ' (a scanned PDF holds images, not text)' : ''
    throw unreadable(`The ${LABEL[type]} contains no text${hint}`)
  }
  if (text.length > MAX_EXTRACTED_CHARS) {
    throw unreadable(
      `The document has ${text.length.toLocaleString('en-US')} characters of text; the limit is ${MAX_EXTRACTED_CHARS.toLocaleString('en-US')}`,
    )
  }
  return text
}
