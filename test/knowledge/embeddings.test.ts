import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { embedTexts, minimumRequests, planBatches, retryAfterMs } from '../../src/knowledge/embeddings'
import { testConfig } from '../support/env'

const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 2_000 }

describe('planBatches', () => {
  it('keeps every request within 2,048 inputs and 300,000 tokens, in order, covering every input', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 6000 }), (counts) => {
        const batches = planBatches(counts)
        let next = 0
        for (const [start, end] of batches) {
          expect(start).toBe(next)
          expect(end - start).toBeLessThanOrEqual(2048)
          expect(counts.slice(start, end).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(300_000)
          next = end
        }
        expect(next).toBe(counts.length)
        expect(batches.length).toBeLessThanOrEqual(minimumRequests(counts) + 1)
      }),
      { numRuns: 60 },
    )
  })

  it('uses the fewest requests for full 500-token chunks', () => {
    const counts = Array(1300).fill(500)
    expect(planBatches(counts)).toEqual([
      [0, 600],
      [600, 1200],
      [1200, 1300],
    ])
    expect(minimumRequests(counts)).toBe(3)
    expect(planBatches(Array(5000).fill(10))).toHaveLength(3)
  })
})

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000)
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150' }))).toBe(150)
    const date = new Date(Date.now() + 5000).toUTCString()
    expect(retryAfterMs(new Headers({ 'retry-after': date }))).toBeGreaterThan(3000)
    expect(retryAfterMs(new Headers())).toBeNull()
  })
})

describe('embedTexts (openai SDK against the local OpenAI-compatible endpoint)', () => {
  it('returns one 1536-dimension unit vector per input, in order', async () => {
    const texts = ['alpha beta', 'gamma delta', 'alpha beta']
    const vectors = await embedTexts(
      testConfig(),
      texts.map((text) => ({ text, tokenCount: 2 })),
    )
    expect(vectors).toHaveLength(3)
    expect(vectors[0]).toHaveLength(1536)
    expect(Math.hypot(...vectors[0]!)).toBeCloseTo(1, 4)
    expect(vectors[2]).toEqual(vectors[0])
    expect(vectors[1]).not.toEqual(vectors[0])
  })

  it('sends as few requests as the limits allow', async () => {
    let requests = 0
    const inputs = Array.from({ length: 700 }, (_, i) => ({ text: `chunk ${i}`, tokenCount: 500 }))
    await embedTexts(testConfig(), inputs, { onRequest: () => requests++ })
    expect(requests).toBe(2)
  })

  it('retries a 429 after Retry-After, then succeeds', async () => {
    const vectors = await embedTexts(
      testConfig(),
      [{ text: `[[embeddings:429-once:${crypto.randomUUID()}]]`, tokenCount: 10 }],
      {
        retry: fast,
      },
    )
    expect(vectors).toHaveLength(1)
  })

  it('gives up after its retries on a persistent 5xx', async () => {
    await expect(
      embedTexts(testConfig(), [{ text: '[[embeddings:503]]', tokenCount: 5 }], { retry: fast }),
    ).rejects.toMatchObject({
      status: 503,
    })
  })
})
