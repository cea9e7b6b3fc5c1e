// An unpaired UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Whether Postgres can store the string as text: no NUL (U+0000, which text columns refuse) and no
 * unpaired surrogate (which has no UTF-8 encoding, so the driver cannot send it).
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value)
}

/** The string with NULs and unpaired surrogates replaced by U+FFFD, for showing it back safely. */
export function toStorableText(value: string): string {
  return value.replaceAll('\u0000', '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD')
}
