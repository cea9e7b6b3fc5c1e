/**
 * What Postgres cannot store as text: NUL (U+0000, which text columns refuse) and an unpaired UTF-16
 * surrogate (a high one not followed by a low one, or a low one not preceded by a high one), which
 * has no UTF-8 encoding.
 */
const UNSTORABLE_SOURCE = '\\u0000|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]'
const UNSTORABLE = new RegExp(UNSTORABLE_SOURCE)

/** Whether Postgres can store the string as text (no NUL, no unpaired surrogate). */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value)
}

/** The string with every NUL and unpaired surrogate replaced (by U+FFFD unless told otherwise). */
export function toStorableText(value: string, replacement = '\uFFFD'): string {
  return value.replace(new RegExp(UNSTORABLE_SOURCE, 'g'), replacement)
}
