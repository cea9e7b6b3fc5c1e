import { Unreadable } from '../../errors'
import type { DocumentType } from '../file-types'
import { docxToText } from './docx'
import { htmlToText } from './html'
import { markdownToText } from './markdown'
import { pdfToText } from './pdf'
import { decodeUtf8, normaliseWhitespace, removeUnstorable, TextCollector, tooMuchText } from './text'

const LABEL: Record<DocumentType, string> = {
  txt: 'text file',
  md: 'Markdown file',
  html: 'HTML file',
  pdf: 'PDF',
  docx: 'Word document',
}

async function rawText(type: DocumentType, bytes: Uint8Array, collector: TextCollector): Promise<string> {
  switch (type) {
    case 'txt':
      return decodeUtf8(bytes)
    case 'md':
      return markdownToText(decodeUtf8(bytes), collector)
    case 'html':
      return htmlToText(decodeUtf8(bytes), collector)
    case 'pdf':
      return pdfToText(bytes, { collector })
    case 'docx':
      return docxToText(bytes)
  }
}

/**
 * The plain text of a document, ready to chunk and store (no NUL, no lone surrogates). Empty files,
 * files without text, and files with too much text fail with a message meant for the customer; the
 * extractors stop at the text limit instead of reading all of a huge file first.
 */
export async function extractText(type: DocumentType, bytes: Uint8Array): Promise<string> {
  if (bytes.byteLength === 0) throw new Unreadable('The file is empty (0 bytes)')
  const collector = new TextCollector()
  const text = normaliseWhitespace(removeUnstorable(await rawText(type, bytes, collector)))
  if (!text) {
    const hint = type === 'pdf' ? ' (a scanned PDF holds images, not text)' : ''
    throw new Unreadable(`The ${LABEL[type]} contains no text${hint}`)
  }
  if (text.length > collector.limit) throw tooMuchText(collector.limit)
  return text
}
