import { base64ToBytes, bytesToBase64, constantTimeEqual } from '../platform/encoding'

/**
 * Password hashes: PBKDF2-SHA256 through WebCrypto, stored as
 * `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` so the cost can be raised later
 * (100,000 iterations is the most workerd allows today).
 */
export const PASSWORD_ITERATIONS = 100_000
const SALT_BYTES = 16
const HASH_BITS = 256
const encoder = new TextEncoder()

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, HASH_BITS)
  return new Uint8Array(bits)
}

export async function hashPassword(password: string, iterations = PASSWORD_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const hash = await derive(password, salt, iterations)
  return `pbkdf2-sha256$${iterations}$${bytesToBase64(salt)}$${bytesToBase64(hash)}`
}

interface ParsedHash {
  iterations: number
  salt: Uint8Array<ArrayBuffer>
  hash: Uint8Array
}

function parseHash(stored: string): ParsedHash | null {
  const [scheme, iterations, salt, hash, ...rest] = stored.split('$')
  if (scheme !== 'pbkdf2-sha256' || !iterations || !salt || !hash || rest.length > 0) return null
  const count = Number(iterations)
  if (!Number.isInteger(count) || count < 1 || count > PASSWORD_ITERATIONS) return null
  try {
    return { iterations: count, salt: base64ToBytes(salt), hash: base64ToBytes(hash) }
  } catch {
    return null
  }
}

// Verifying against this when the account does not exist keeps the timing the same.
const DUMMY_HASH = `pbkdf2-sha256$${PASSWORD_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`

/** True when the password matches; a missing or malformed stored hash never matches (but costs the same). */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = parseHash(stored ?? '') ?? parseHash(DUMMY_HASH)!
  const actual = await derive(password, parsed.salt, parsed.iterations)
  return constantTimeEqual(actual, parsed.hash) && Boolean(stored) && stored !== DUMMY_HASH
}

/** A stored hash made with fewer iterations than today's setting should be replaced at the next login. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored)
  return !parsed || parsed.iterations < PASSWORD_ITERATIONS
}
