import { describe, expect, it } from 'vitest'
import { createFernet, generateFernetKey, InvalidFernetKey, InvalidFernetToken } from '../../src/platform/fernet'
import { ourTokens as ours, pythonTokens as python, vectors } from '../support/fernet-fixtures'

const { generate, verify, invalid } = vectors

const at = (iso: string) => () => new Date(iso).getTime()

describe('Fernet: the official vectors', () => {
  it.each(generate)('generate: $src', async (v) => {
    const fernet = createFernet(v.secret, { now: at(v.now), iv: () => new Uint8Array(v.iv) })
    expect(await fernet.encrypt(v.src)).toBe(v.token)
  })

  it.each(verify)('verify: $src', async (v) => {
    const fernet = createFernet(v.secret, { now: at(v.now) })
    expect(await fernet.decrypt(v.token, { ttlSeconds: v.ttl_sec })).toBe(v.src)
  })

  it.each(invalid)('invalid: $desc', async (v) => {
    const fernet = createFernet(v.secret, { now: at(v.now) })
    await expect(fernet.decrypt(v.token, { ttlSeconds: v.ttl_sec })).rejects.toBeInstanceOf(InvalidFernetToken)
  })
})

describe('Fernet: behaviour', () => {
  it('round-trips, with a random IV so equal plaintexts differ', async () => {
    const fernet = createFernet(generateFernetKey())
    const [one, two] = [await fernet.encrypt('same_token_value'), await fernet.encrypt('same_token_value')]
    expect(one).not.toBe(two)
    expect(one.startsWith('gAAAAA')).toBe(true)
    expect(await fernet.decrypt(one)).toBe('same_token_value')
    expect(await fernet.decrypt(two)).toBe('same_token_value')
  })

  it('round-trips the empty string and non-ASCII text', async () => {
    const fernet = createFernet(generateFernetKey())
    for (const text of ['', 'café 東京 🔑', 'x'.repeat(5000)])
      expect(await fernet.decrypt(await fernet.encrypt(text))).toBe(text)
  })

  it('encrypts with the first key and decrypts with any (rotation)', async () => {
    const [newKey, oldKey] = [generateFernetKey(), generateFernetKey()]
    const oldToken = await createFernet(oldKey).encrypt('written before rotation')
    const rotated = createFernet([newKey, oldKey])
    expect(await rotated.decrypt(oldToken)).toBe('written before rotation')
    expect(await rotated.keyIndexOf(oldToken)).toBe(1)
    const newToken = await rotated.encrypt('written after')
    expect(await rotated.keyIndexOf(newToken)).toBe(0)
    expect(await createFernet(newKey).decrypt(newToken)).toBe('written after')
    await expect(createFernet(oldKey).decrypt(newToken)).rejects.toBeInstanceOf(InvalidFernetToken)
  })

  it('rejects a token made under a key it does not have', async () => {
    const token = await createFernet(generateFernetKey()).encrypt('secret')
    await expect(createFernet(generateFernetKey()).decrypt(token)).rejects.toBeInstanceOf(InvalidFernetToken)
    expect(await createFernet(generateFernetKey()).keyIndexOf(token)).toBe(-1)
  })

  it('rejects anything that is not a token', async () => {
    const fernet = createFernet(generateFernetKey())
    // 'gAAAAAAAA' passes the alphabet check but is no base64 (9 characters): still InvalidFernetToken.
    for (const junk of ['', 'invalid_not_fernet_data', 'gAAAAA', 'gAAAAAAAA', '====', 'gAAAAAB'.padEnd(120, '!')]) {
      await expect(fernet.decrypt(junk)).rejects.toBeInstanceOf(InvalidFernetToken)
      expect(await fernet.keyIndexOf(junk)).toBe(-1)
    }
  })

  it('decrypts a token of non-UTF-8 bytes with decryptBytes, and refuses it as text', async () => {
    const fernet = createFernet(generateFernetKey())
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0xc3])
    const token = await fernet.encrypt(bytes)
    expect(await fernet.decryptBytes(token)).toEqual(bytes)
    await expect(fernet.decrypt(token)).rejects.toBeInstanceOf(InvalidFernetToken)
  })

  it('refuses malformed keys and IVs', async () => {
    for (const bad of [
      '',
      'short',
      'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4',
      'cw_0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=',
    ]) {
      expect(() => createFernet(bad)).toThrow(InvalidFernetKey)
    }
    expect(() => createFernet([])).toThrow(InvalidFernetKey)
    const fernet = createFernet(generateFernetKey(), { iv: () => new Uint8Array(8) })
    await expect(fernet.encrypt('x')).rejects.toThrow(/16 bytes/)
  })

  it('checks the TTL only when one is asked for', async () => {
    const key = generateFernetKey()
    const token = await createFernet(key, { now: () => Date.UTC(2020, 0, 1) }).encrypt('old')
    const later = createFernet(key, { now: () => Date.UTC(2026, 0, 1) })
    expect(await later.decrypt(token)).toBe('old')
    await expect(later.decrypt(token, { ttlSeconds: 3600 })).rejects.toBeInstanceOf(InvalidFernetToken)
  })
})

describe('Fernet: interoperability with Python cryptography.fernet', () => {
  const keys = python.keys as Record<string, string>

  it.each(python.tokens)('reads a Python token (key $key, $plaintext.length chars)', async (t) => {
    const fernet = createFernet(t.key.split(',').map((k) => keys[k]!))
    expect(await fernet.decrypt(t.token)).toBe(t.plaintext)
  })

  it('reads a Python token under a rotated key list, in either order', async () => {
    for (const order of [
      [keys.a!, keys.b!],
      [keys.b!, keys.a!],
    ]) {
      for (const t of python.tokens) expect(await createFernet(order).decrypt(t.token)).toBe(t.plaintext)
    }
  })

  it("honours a Python token's timestamp for TTL checks", async () => {
    const { unix, token, plaintext } = python.fixed_time!
    const fernet = createFernet(keys.a!, { now: () => (unix + 30) * 1000 })
    expect(await fernet.decrypt(token, { ttlSeconds: 60 })).toBe(plaintext)
    const tooLate = createFernet(keys.a!, { now: () => (unix + 61) * 1000 })
    await expect(tooLate.decrypt(token, { ttlSeconds: 60 })).rejects.toBeInstanceOf(InvalidFernetToken)
  })

  it('the committed tokens of ours (which scripts/fernet-interop.py checks with Python) still decrypt here', async () => {
    const ourKeys = ours.keys as Record<string, string>
    for (const t of ours.tokens) {
      expect(await createFernet(t.key.split(',').map((k) => ourKeys[k]!)).decrypt(t.token)).toBe(t.plaintext)
    }
  })
})
