import { toStorableText } from '../../platform/text'
import { MAX_EXTRACTED_CHARS } from '../limits'
import { unreadable } from './errors'

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    // TextDecoder drops a leading byte-order mark by default.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch (error) {
    throw unreadable('The file is not valid UTF-8 text', error)
  }
}

/** Collapses runs of blank space while keeping paragraph breaks. */
export function normaliseWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v\u00a0]{2,}|[\t\f\v\u00a0]/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** Without NUL and lone surrogates, which Postgres cannot store in `text` (PDFs and entities can hold both). */
export function removeUnstorable(text: string): string {
  return toStorableText(text, '')
}

export const tooMuchText = (limit = MAX_EXTRACTED_CHARS) =>
  unreadable(
    `The document has more than ${limit.toLocaleString('en-US')} characters of text, the limit; split it into smaller files`,
  )

/**
 * Collects extracted text and stops the extraction the moment it passes the limit, so a document
 * with too much text is refused before all of it is in memory.
 */
export class TextCollector {
  private readonly parts: string[] = []
  private length = 0

  readonly limit: number

  constructor(limit = MAX_EXTRACTED_CHARS) {
    this.limit = limit
  }

  get size(): number {
    return this.length
  }

  add(text: string): void {
    if (!text) return
    this.length += text.length
    if (this.length > this.limit) throw tooMuchText(this.limit)
    this.parts.push(text)
  }

  text(): string {
    return this.parts.join('')
  }
}
