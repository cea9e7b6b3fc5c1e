import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { embedTexts, minimumRequests, planBatches } from '../../src/knowledge/embeddings'
import { testConfig } from '../support/env'

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

  it('retries a 429 after the Retry-After it asks for (1 s, longer than the SDK backoff), then succeeds', async () => {
    const key = crypto.randomUUID()
    const vectors = await embedTexts(testConfig(), [{ text: `[[embeddings:429-once:${key}]]`, tokenCount: 10 }])
    expect(vectors).toHaveLength(1)
    const seen = await fetch(`${testConfig().OPENAI_BASE_URL}/_injected/429-once/${key}`)
    const { requests_at: requestsAt } = (await seen.json()) as { requests_at: number[] }
    expect(requestsAt).toHaveLength(2)
    // Without Retry-After the SDK's first backoff is at most 0.5 s.
    expect(requestsAt[1]! - requestsAt[0]!).toBeGreaterThanOrEqual(1000)
  })

  it('gives up after its retries on a persistent 5xx, with the error for the queue to retry later', async () => {
    await expect(
      embedTexts(testConfig(), [{ text: '[[embeddings:503]]', tokenCount: 5 }], { maxRetries: 1 }),
    ).rejects.toMatchObject({ status: 503 })
  })
})
