import { randomBytes } from '../platform/crypto'
import { bytesToBase64Url } from '../platform/encoding'

/** RFC 7636: a 43-character verifier (32 random bytes) and its S256 challenge. */
export async function createPkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = bytesToBase64Url(randomBytes(32))
  return { verifier, challenge: await pkceChallenge(verifier) }
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return bytesToBase64Url(new Uint8Array(digest))
}

/** The `state` parameter: 32 random bytes, urlsafe. Only its SHA-256 is stored. */
export const createOAuthState = () => bytesToBase64Url(randomBytes(32))
