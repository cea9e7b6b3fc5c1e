import { describe, expect, it } from 'vitest'
import { IsolateCache } from '../../src/edge/isolate-cache'

describe('the isolate cache', () => {
  it('answers an entry no older than the reader accepts', () => {
    const cache = new IsolateCache<string>(10)
    cache.set('a', 'one', 'c1', 1_000)
    expect(cache.get('a', 500, 1_400)).toBe('one')
    expect(cache.get('a', 500, 1_501)).toBeUndefined()
    expect(cache.get('a', Number.POSITIVE_INFINITY, 99_999)).toBe('one')
  })

  it('drops the oldest entry past its bound, and a customer’s entries at once', () => {
    const cache = new IsolateCache<number>(2)
    cache.set('a', 1, 'c1')
    cache.set('b', 2, 'c2')
    cache.set('c', 3, 'c1')
    expect(cache.get('a', 1e9)).toBeUndefined()
    cache.forgetCustomer('c1')
    expect([cache.get('b', 1e9), cache.get('c', 1e9)]).toEqual([2, undefined])
  })

  it('runs one fetch for concurrent misses of a key, and a new one after it settles', async () => {
    const cache = new IsolateCache<number>(10)
    let fetches = 0
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const fetch = async () => {
      fetches++
      await gate
      return fetches
    }
    const keep = (n: number) => n
    const waiting = Array.from({ length: 20 }, () => cache.once('k', 'c1', fetch, keep))
    release()
    expect(await Promise.all(waiting)).toEqual(Array(20).fill(1))
    expect(cache.get('k', 1e9)).toBe(1)
    expect(await cache.once('k', 'c1', fetch, keep)).toBe(2)
    await expect(cache.once('k', 'c1', () => Promise.reject(new Error('down')), keep)).rejects.toThrow('down')
    expect(await cache.once('k', 'c1', fetch, keep)).toBe(3)
  })

  it('keeps nothing from a fetch that started before its customer changed, and lets new callers start afresh', async () => {
    const cache = new IsolateCache<string>(10)
    let release!: (v: string) => void
    const before = cache.once(
      'k',
      'c1',
      () => new Promise<string>((r) => (release = r)),
      (v) => v,
    )
    cache.forgetCustomer('c1')
    const after = cache.once(
      'k',
      'c1',
      async () => 'after',
      (v) => v,
    )
    expect(await after).toBe('after')
    release('before')
    expect(await before).toBe('before')
    expect(cache.get('k', 1e9)).toBe('after')
  })

  it('puts back what it held (an isolate that was not told of a change)', () => {
    const cache = new IsolateCache<number>(10)
    cache.set('a', 1, 'c1')
    const restore = cache.capture()
    cache.forgetCustomer('c1')
    restore()
    expect(cache.get('a', 1e9)).toBe(1)
  })
})
