// Fernet (https://github.com/fernet/spec) on WebCrypto only, so the same file runs in the
// Worker and in Node scripts. Token: 0x80 | timestamp (u64 BE seconds) | IV (16) |
// AES-128-CBC ciphertext (PKCS#7) | HMAC-SHA256 of everything before it (32), urlsafe base64.
// Import-free apart from `.ts` siblings: Node runs it directly (scripts/rotate-keys.ts).
import { base64UrlToBytes, bytesToBase64Url } from './encoding.ts'

const VERSION = 0x80
const HEADER_LENGTH = 1 + 8 + 16
const MAC_LENGTH = 32
const BLOCK = 16
/** Same as Python's `cryptography.fernet`: with a TTL, tokens up to 60 s in the future are accepted. */
const MAX_CLOCK_SKEW_SECONDS = 60

const KEY_PATTERN = /^[A-Za-z0-9_-]{43}=$/
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+={0,2}$/

export class InvalidFernetToken extends Error {
  constructor() {
    super('invalid Fernet token')
    this.name = 'InvalidFernetToken'
  }
}

export class InvalidFernetKey extends Error {
  constructor() {
    super('a Fernet key must be the urlsafe base64 encoding of 32 bytes')
    this.name = 'InvalidFernetKey'
  }
}

export interface FernetOptions {
  /** Current time in milliseconds since the epoch (tests inject a fixed clock). */
  now?: () => number
  /** 16 random bytes per token (tests inject a fixed IV). */
  iv?: () => Uint8Array
}

export interface DecryptOptions {
  /** Reject tokens older than this many seconds; without it, age is not checked. */
  ttlSeconds?: number
}

export interface Fernet {
  encrypt(plaintext: string | Uint8Array): Promise<string>
  decrypt(token: string, options?: DecryptOptions): Promise<string>
  decryptBytes(token: string, options?: DecryptOptions): Promise<Uint8Array>
  /** Index in the key list of the key that authenticates this token, or -1 (for rotation). */
  keyIndexOf(token: string): Promise<number>
}

interface ImportedKey {
  signing: CryptoKey
  encryption: CryptoKey
}

const encoder = new TextEncoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A token or key's bytes, or null when the text is not urlsafe base64. */
function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!TOKEN_PATTERN.test(text)) return null
  try {
    return base64UrlToBytes(text)
  } catch {
    return null
  }
}

export function isFernetKey(key: string): boolean {
  return KEY_PATTERN.test(key) && decodeBase64Url(key)?.length === 32
}

/** A new random key, in the format Python's `Fernet.generate_key()` returns. */
export function generateFernetKey(): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)), { padded: true })
}

async function importKey(key: string): Promise<ImportedKey> {
  const raw = isFernetKey(key) ? decodeBase64Url(key) : null
  if (!raw) throw new InvalidFernetKey()
  const [signing, encryption] = await Promise.all([
    crypto.subtle.importKey('raw', raw.slice(0, 16), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
    crypto.subtle.importKey('raw', raw.slice(16), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
  ])
  return { signing, encryption }
}

function readTimestamp(data: Uint8Array): number {
  return Number(new DataView(data.buffer, data.byteOffset + 1, 8).getBigUint64(0))
}

/** Parses a token far enough to check version, shape and age; the MAC is checked per key. */
function parseToken(token: string, nowSeconds: number, ttlSeconds: number | undefined) {
  if (typeof token !== 'string') throw new InvalidFernetToken()
  const data = decodeBase64Url(token)
  if (!data || data.length < HEADER_LENGTH + BLOCK + MAC_LENGTH || data[0] !== VERSION) throw new InvalidFernetToken()
  if ((data.length - HEADER_LENGTH - MAC_LENGTH) % BLOCK !== 0) throw new InvalidFernetToken()
  if (ttlSeconds !== undefined) {
    const timestamp = readTimestamp(data)
    if (timestamp + ttlSeconds < nowSeconds) throw new InvalidFernetToken()
    if (nowSeconds + MAX_CLOCK_SKEW_SECONDS < timestamp) throw new InvalidFernetToken()
  }
  return {
    signed: data.subarray(0, data.length - MAC_LENGTH),
    mac: data.subarray(data.length - MAC_LENGTH),
    iv: data.subarray(9, HEADER_LENGTH),
    ciphertext: data.subarray(HEADER_LENGTH, data.length - MAC_LENGTH),
  }
}

/**
 * Fernet over one or more keys (MultiFernet): encrypts with the first, decrypts with any.
 * Keys are urlsafe base64 of 32 bytes: the first 16 sign (HMAC-SHA256), the last 16 encrypt (AES-128-CBC).
 */
export function createFernet(keys: string | readonly string[], options: FernetOptions = {}): Fernet {
  const keyList = typeof keys === 'string' ? [keys] : [...keys]
  if (keyList.length === 0 || !keyList.every(isFernetKey)) throw new InvalidFernetKey()
  const now = options.now ?? Date.now
  const nextIv = options.iv ?? (() => crypto.getRandomValues(new Uint8Array(16)))
  let imported: Promise<ImportedKey[]> | undefined
  const importedKeys = () => {
    imported ??= Promise.all(keyList.map(importKey))
    return imported
  }

  async function authenticatingKey(parsed: ReturnType<typeof parseToken>): Promise<number> {
    const all = await importedKeys()
    for (let i = 0; i < all.length; i++) {
      if (await crypto.subtle.verify('HMAC', all[i]!.signing, parsed.mac, parsed.signed)) return i
    }
    return -1
  }

  async function decryptBytes(token: string, decryptOptions: DecryptOptions = {}): Promise<Uint8Array> {
    const parsed = parseToken(token, Math.floor(now() / 1000), decryptOptions.ttlSeconds)
    const index = await authenticatingKey(parsed)
    if (index < 0) throw new InvalidFernetToken()
    const key = (await importedKeys())[index]!
    try {
      // WebCrypto's AES-CBC removes and checks the PKCS#7 padding itself.
      const plain = await crypto.subtle.decrypt({ name: 'AES-CBC', iv: parsed.iv }, key.encryption, parsed.ciphertext)
      return new Uint8Array(plain)
    } catch {
      throw new InvalidFernetToken()
    }
  }

  return {
    async encrypt(plaintext) {
      const iv = new Uint8Array(nextIv())
      if (iv.length !== 16) throw new TypeError('a Fernet IV is 16 bytes')
      const [key] = await importedKeys()
      const data = typeof plaintext === 'string' ? encoder.encode(plaintext) : new Uint8Array(plaintext)
      const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key!.encryption, data))
      const signed = new Uint8Array(HEADER_LENGTH + ciphertext.length)
      signed[0] = VERSION
      new DataView(signed.buffer).setBigUint64(1, BigInt(Math.floor(now() / 1000)))
      signed.set(iv, 9)
      signed.set(ciphertext, HEADER_LENGTH)
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key!.signing, signed))
      const token = new Uint8Array(signed.length + MAC_LENGTH)
      token.set(signed)
      token.set(mac, signed.length)
      return bytesToBase64Url(token, { padded: true })
    },
    decryptBytes,
    async decrypt(token, decryptOptions) {
      const bytes = await decryptBytes(token, decryptOptions)
      try {
        return strictDecoder.decode(bytes)
      } catch {
        throw new InvalidFernetToken()
      }
    },
    async keyIndexOf(token) {
      try {
        return await authenticatingKey(parseToken(token, Math.floor(now() / 1000), undefined))
      } catch {
        return -1
      }
    },
  }
}
