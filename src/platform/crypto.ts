import { bytesToHex, constantTimeEqual } from './encoding'

const encoder = new TextEncoder()

export async function sha256Hex(value: string): Promise<string> {
  return bytesToHex(await crypto.subtle.digest('SHA-256', encoder.encode(value)))
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Unbiased random string over [A-Za-z0-9]. */
export function randomAlphanumeric(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62]
    }
  }
  return out
}

/**
 * Constant-time equality of two strings: both are hashed first so neither length nor
 * content leaks through timing, then the digests are compared without early exit.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (x: ArrayBuffer, y: ArrayBuffer) => boolean }
  if (typeof subtle.timingSafeEqual === 'function') return subtle.timingSafeEqual(da, db)
  return constantTimeEqual(new Uint8Array(da), new Uint8Array(db))
}
