// Byte encodings and constant-time comparison on web APIs only, so the Worker and Node scripts
// (through src/platform/fernet.ts) share them. Import-free: Node runs it directly.

export function bytesToHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  // In slices: spreading a large array into one call overflows the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** Throws on text that is not base64. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** URL-safe base64 (RFC 4648 §5); without `=` padding unless `padded`. */
export function bytesToBase64Url(bytes: Uint8Array, { padded = false } = {}): string {
  const text = bytesToBase64(bytes).replaceAll('+', '-').replaceAll('/', '_')
  return padded ? text : text.replace(/=+$/, '')
}

/** Throws on text that is not URL-safe base64 (padded or not). */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  if (/[+/]/.test(text)) throw new TypeError('not URL-safe base64')
  return base64ToBytes(text.replaceAll('-', '+').replaceAll('_', '/'))
}

/** Equality without an early exit, so the time taken does not tell where two equal-length values differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
