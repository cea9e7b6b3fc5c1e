import { Unreadable } from '../../errors'
import { toStorableText } from '../../platform/text'
import { MAX_EXTRACTED_CHARS } from '../limits'

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    // TextDecoder drops a leading byte-order mark by default.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch (error) {
    throw new Unreadable('The file is not valid UTF-8 text', { cause: error })
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
  new Unreadable(
    `The document has more than ${limit.toLocaleString('en-US')} characters of text, the limit; split it into smaller files`,
  )

/**
 * Appends many small strings without keeping each one: every few thousand pieces are joined into one
 * flat string, so millions of one-character pieces (a tag or emphasis bomb) cost their characters,
 * not an object each.
 */
export class StringBuilder {
  private readonly pieces: string[] = []
  private readonly joined: string[] = []

  add(text: string): void {
    this.pieces.push(text)
    if (this.pieces.length >= 4096) {
      this.joined.push(this.pieces.join(''))
      this.pieces.length = 0
    }
  }

  toString(): string {
    return this.joined.join('') + this.pieces.join('')
  }
}

/**
 * Collects extracted text and stops the extraction the moment it passes the limit, so a document
 * with too much text is refused before all of it is in memory.
 */
export class TextCollector {
  private readonly builder = new StringBuilder()
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
    this.builder.add(text)
  }

  text(): string {
    return this.builder.toString()
  }
}
