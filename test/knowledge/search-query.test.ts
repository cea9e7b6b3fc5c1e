import { describe, expect, it } from 'vitest'
import { MAX_SEARCH_WORDS, parseSearchQuery, searchTexts } from '../../src/knowledge/search-query'

describe('parseSearchQuery', () => {
  it('reads quoted phrases, -exclusions and words, as websearch_to_tsquery does', () => {
    expect(parseSearchQuery('"reset password" admin or -manager -"one hour"')).toEqual({
      phrases: ['reset password'],
      words: ['admin'],
      excluded: ['manager', '"one hour"'],
      dropped: [],
    })
  })

  it('takes command-line options (--keep, -k) and hyphenated words as words', () => {
    expect(parseSearchQuery('bzip2 -k --keep e-mail')).toEqual({
      phrases: [],
      words: ['bzip2', 'k', 'keep', 'e-mail'],
      excluded: [],
      dropped: [],
    })
  })

  it('closes an unterminated quote at the end and ignores empty ones', () => {
    expect(parseSearchQuery('"" "full refund')).toEqual({
      phrases: ['full refund'],
      words: [],
      excluded: [],
      dropped: [],
    })
  })

  it('builds the keyword texts: any term, required filters, what to embed', () => {
    expect(searchTexts('"full refund" unopened -store')).toEqual({
      anyTerm: '"full refund" or unopened',
      termText: 'full refund unopened',
      required: '"full refund" -store',
      embedText: 'full refund unopened',
    })
  })

  it(`keeps the first ${MAX_SEARCH_WORDS} words (a phrase's and a compound's words each count) and says which terms are dropped`, () => {
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`)
    const long = parseSearchQuery(words.join(' '))
    expect(long.words).toEqual(words.slice(0, MAX_SEARCH_WORDS))
    expect(long.dropped).toEqual(words.slice(MAX_SEARCH_WORDS))
    const texts = searchTexts(words.join(' '))
    expect(texts.termText.split(' ')).toHaveLength(MAX_SEARCH_WORDS)
    expect(texts.anyTerm.split(' or ')).toHaveLength(MAX_SEARCH_WORDS)

    // 30 words, then a 3-word phrase that does not fit: it and everything after it are dropped whole.
    const filler = words.slice(0, 30).join(' ')
    expect(parseSearchQuery(`${filler} "reset my password" -manager a-b`)).toMatchObject({
      words: words.slice(0, 30),
      phrases: [],
      excluded: [],
      dropped: ['"reset my password"', '-manager', 'a-b'],
    })
    // A hyphenated compound costs its parts; an exclusion counts like any term.
    expect(parseSearchQuery(`${filler} -manager e-mail`)).toMatchObject({
      excluded: ['manager'],
      dropped: ['e-mail'],
    })
    expect(parseSearchQuery(`${filler} x-y`).dropped).toEqual([])
  })
})
