import { describe, expect, it } from 'vitest'
import { parseSearchQuery, searchTexts } from '../../src/knowledge/search-query'

describe('parseSearchQuery', () => {
  it('reads quoted phrases, -exclusions and words, as websearch_to_tsquery does', () => {
    expect(parseSearchQuery('"reset password" admin or -manager -"one hour"')).toEqual({
      phrases: ['reset password'],
      words: ['admin'],
      excluded: ['manager', '"one hour"'],
    })
  })

  it('takes command-line options (--keep, -k) and hyphenated words as words', () => {
    expect(parseSearchQuery('bzip2 -k --keep e-mail')).toEqual({
      phrases: [],
      words: ['bzip2', 'k', 'keep', 'e-mail'],
      excluded: [],
    })
  })

  it('closes an unterminated quote at the end and ignores empty ones', () => {
    expect(parseSearchQuery('"" "full refund')).toEqual({ phrases: ['full refund'], words: [], excluded: [] })
  })

  it('builds the keyword texts: any term, required filters, what to embed', () => {
    expect(searchTexts('"full refund" unopened -store')).toEqual({
      anyTerm: '"full refund" or unopened',
      termText: 'full refund unopened',
      required: '"full refund" -store',
      embedText: 'full refund unopened',
    })
  })
})
