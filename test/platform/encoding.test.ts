import { describe, expect, it } from 'vitest'
import {
  base64ToBytes,
  base64UrlToBytes,
  bytesToBase64,
  bytesToBase64Url,
  bytesToHex,
  constantTimeEqual,
} from '../../src/platform/encoding'

const bytes = (...values: number[]) => new Uint8Array(values)

describe('platform/encoding', () => {
  it('hex is lowercase, two digits a byte, from bytes or a buffer', () => {
    expect(bytesToHex(bytes(0, 15, 16, 255))).toBe('000f10ff')
    expect(bytesToHex(bytes(171, 205).buffer)).toBe('abcd')
  })

  it('base64 and URL-safe base64 (RFC 4648 test vectors and the two alphabets)', () => {
    const encoder = new TextEncoder()
    expect(bytesToBase64(encoder.encode('foob'))).toBe('Zm9vYg==')
    expect(bytesToBase64(bytes(251, 255))).toBe('+/8=')
    expect(bytesToBase64Url(bytes(251, 255))).toBe('-_8')
    expect(bytesToBase64Url(bytes(251, 255), { padded: true })).toBe('-_8=')
    expect([...base64ToBytes('+/8=')]).toEqual([251, 255])
    expect([...base64UrlToBytes('-_8')]).toEqual([251, 255])
    expect([...base64UrlToBytes('-_8=')]).toEqual([251, 255])
  })

  it('round-trips more bytes than one String.fromCharCode call takes', () => {
    const large = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)
    expect(base64ToBytes(bytesToBase64(large))).toEqual(large)
    expect(base64UrlToBytes(bytesToBase64Url(large))).toEqual(large)
  })

  it('refuses text outside the alphabet', () => {
    expect(() => base64ToBytes('not base64!')).toThrow()
    expect(() => base64UrlToBytes('+/8=')).toThrow()
    expect(() => base64UrlToBytes('abcde')).toThrow()
  })

  it('constant-time equality compares whole values', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true)
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false)
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2))).toBe(false)
    expect(constantTimeEqual(bytes(), bytes())).toBe(true)
  })
})
