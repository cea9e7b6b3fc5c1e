import fc from 'fast-check'
import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base'
import { describe, expect, it } from 'vitest'
import { chunkText, countTokens } from '../../src/knowledge/chunker'

describe('chunkText (cl100k_base, 500 tokens, 50 overlap)', () => {
  it('keeps text that fits in one chunk as one chunk', () => {
    const text = 'This is test content. '.repeat(20).trim()
    const chunks = chunkText(text)
    expect(chunks).toEqual([{ content: text, tokenCount: countTokens(text) }])
  })

  it('splits ~1500 tokens into at least 3 chunks that overlap by 50 tokens (spec 5.1)', () => {
    const text = 'word '.repeat(1500)
    const chunks = chunkText(text)
    expect(chunks.length).toBeGreaterThanOrEqual(3)
    expect(chunks.map((c) => c.tokenCount)).toEqual([500, 500, 500, 151])
    for (let i = 1; i < chunks.length; i++) {
      const previous = encode(chunks[i - 1]!.content)
      const current = encode(chunks[i]!.content)
      expect(decode(current.slice(0, 50))).toBe(decode(previous.slice(-50)))
    }
    expect(chunks[1]!.content.slice(0, 100)).toContain(chunks[0]!.content.slice(-50).trim())
  })

  it('returns no chunks for empty text', () => {
    expect(chunkText('')).toEqual([])
  })

  it('treats special-token text as plain text', () => {
    expect(chunkText('before <|endoftext|> after')[0]!.content).toBe('before <|endoftext|> after')
  })

  it('keeps every chunk an exact piece of the text when windows cut multi-byte characters', () => {
    const text = 'An データ have 東京 from 🙂 café. '.repeat(200)
    for (const [size, overlap] of [
      [7, 2],
      [11, 3],
      [500, 50],
    ] as const) {
      const chunks = chunkText(text, size, overlap)
      for (const chunk of chunks) {
        expect(text).toContain(chunk.content)
        expect(chunk.content).not.toContain('\uFFFD')
      }
    }
  })

  it('is independent of the state of the library decoder (a cut character left there by another decode)', () => {
    const cutEmoji = encode('🙂').slice(0, 1)
    expect(decode(cutEmoji)).toBe('')
    const text = `${'é'.repeat(30)} plain words after it`
    expect(chunkText(text).map((c) => c.content)).toEqual([text])
    const small = chunkText('🙂🙂🙂 abc', 4, 1)
    expect(small.map((c) => c.content).join('')).not.toContain('\uFFFD')
    for (const chunk of small) expect('🙂🙂🙂 abc').toContain(chunk.content)
  })

  it('keeps a real U+FFFD of the text (it is not taken for a cut character)', () => {
    const text = 'a\uFFFDb '.repeat(40)
    const chunks = chunkText(text, 7, 2)
    for (const chunk of chunks) expect(text).toContain(chunk.content)
    expect(chunks.slice(0, -1).map((c) => c.tokenCount)).toEqual(chunks.slice(0, -1).map(() => 7))
  })

  it('never exceeds 500 tokens, never breaks a character, and covers the whole text', () => {
    const alphabet = fc.constantFrom(...'ab c\n.é漢字🙂👩‍💻 ,;')
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 1, maxLength: 3000 }), (chars) => {
        const text = chars.join('')
        const chunks = chunkText(text, 40, 8)
        for (const chunk of chunks) {
          expect(chunk.tokenCount).toBeLessThanOrEqual(40)
          expect(countTokens(chunk.content)).toBeLessThanOrEqual(40)
          expect(chunk.content).not.toContain('\uFFFD')
          expect(text).toContain(chunk.content)
        }
        if (text.trim()) {
          expect(text.startsWith(chunks[0]!.content)).toBe(true)
          expect(text.endsWith(chunks.at(-1)!.content)).toBe(true)
        }
      }),
      { numRuns: 150 },
    )
  })
})
