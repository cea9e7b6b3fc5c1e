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
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
