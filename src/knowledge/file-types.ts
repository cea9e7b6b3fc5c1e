import { TooLarge, UnsupportedFileType } from '../errors'
import { MAX_UPLOAD_BYTES } from './limits'

export const DOCUMENT_TYPES = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const
export type DocumentType = keyof typeof DOCUMENT_TYPES

const EXTENSIONS: Record<string, DocumentType> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  html: 'html',
  htm: 'html',
  pdf: 'pdf',
  docx: 'docx',
}

export const ACCEPTED_EXTENSIONS = Object.keys(EXTENSIONS).map((e) => `.${e}`)

const ascii = (s: string) => new TextEncoder().encode(s)
const PDF_MAGIC = ascii('%PDF-')
const ZIP_MAGIC = new Uint8Array([0x50, 0x4b, 0x03, 0x04])
const OLE_MAGIC = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])
const DOCX_PART = ascii('word/document.xml')

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0, to = haystack.length): number {
  const last = Math.min(to, haystack.length) - needle.length
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

const startsWith = (bytes: Uint8Array, magic: Uint8Array) => indexOf(bytes, magic, 0, magic.length) === 0

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.')
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase()
}

function isText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
    return true
  } catch {
    return false
  }
}

const refuse = (message: string) => new UnsupportedFileType(message)

/**
 * Decides a file's type from its extension AND its bytes (never from the declared Content-Type);
 * anything that does not match is refused. Empty files pass here and fail at extraction, with
 * a message that says so.
 */
export function detectDocumentType(fileName: string, bytes: Uint8Array): DocumentType {
  if (bytes.byteLength > MAX_UPLOAD_BYTES) {
    throw new TooLarge(`"${fileName}" is larger than the 25 MB limit`)
  }
  const type = EXTENSIONS[extensionOf(fileName)]
  if (!type) {
    throw refuse(`"${fileName}" is not a supported file type: upload ${ACCEPTED_EXTENSIONS.join(', ')} files`)
  }
  if (bytes.byteLength === 0) return type
  switch (type) {
    case 'pdf':
      // PDF readers accept the header anywhere in the first kilobyte.
      if (indexOf(bytes, PDF_MAGIC, 0, 1024) < 0) throw refuse(`"${fileName}" is named .pdf but is not a PDF file`)
      return type
    case 'docx':
      if (startsWith(bytes, OLE_MAGIC)) {
        throw refuse(`"${fileName}" is encrypted or in the old Word format: save it as an unprotected .docx`)
      }
      if (!startsWith(bytes, ZIP_MAGIC) || indexOf(bytes, DOCX_PART) < 0) {
        throw refuse(`"${fileName}" is named .docx but is not a Word document`)
      }
      return type
    default:
      if (!isText(bytes)) throw refuse(`"${fileName}" is not a UTF-8 text file`)
      return type
  }
}
