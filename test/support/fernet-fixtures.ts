// The Fernet fixtures, parsed. Imported `?raw` because JSON imports inside workerd tests
// resolve to asset URLs rather than data.
import generateRaw from '../fixtures/fernet/generate.json?raw'
import invalidRaw from '../fixtures/fernet/invalid.json?raw'
import oursRaw from '../fixtures/fernet/ours-tokens.json?raw'
import pythonRaw from '../fixtures/fernet/python-tokens.json?raw'
import verifyRaw from '../fixtures/fernet/verify.json?raw'

export interface GenerateVector {
  token: string
  now: string
  iv: number[]
  src: string
  secret: string
}
export interface VerifyVector {
  token: string
  now: string
  ttl_sec: number
  src: string
  secret: string
}
export interface InvalidVector {
  desc: string
  token: string
  now: string
  ttl_sec: number
  secret: string
}
export interface TokenFixture {
  generated_by: string
  keys: Record<string, string>
  tokens: Array<{ key: string; plaintext: string; token: string }>
  fixed_time?: { unix: number; plaintext: string; token: string }
}

/** The official vectors of github.com/fernet/spec, copied from ../shared/vectors/fernet. */
export const vectors = {
  generate: JSON.parse(generateRaw) as GenerateVector[],
  verify: JSON.parse(verifyRaw) as VerifyVector[],
  invalid: JSON.parse(invalidRaw) as InvalidVector[],
}
/** Tokens written by Python's cryptography.fernet (make_python_tokens.py). */
export const pythonTokens = JSON.parse(pythonRaw) as TokenFixture
/** Tokens written by src/platform/fernet.ts (scripts/fernet-interop.ts --write-fixture), checked by Python. */
export const ourTokens = JSON.parse(oursRaw) as TokenFixture
