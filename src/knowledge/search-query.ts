/**
 * What a search box query means, in `websearch_to_tsquery`'s own syntax: `"quoted phrases"`,
 * `-excluded` words or phrases, and plain words (`or` between them is accepted and implied).
 */
export interface ParsedSearchQuery {
  words: string[]
  phrases: string[]
  /** Each as websearch syntax without the minus: `word` or `"a phrase"`. */
  excluded: string[]
}

const TOKEN = /(-?)"([^"]*)(?:"|$)|(\S+)/g

export function parseSearchQuery(query: string): ParsedSearchQuery {
  const parsed: ParsedSearchQuery = { words: [], phrases: [], excluded: [] }
  for (const match of query.matchAll(TOKEN)) {
    const [, minus, quoted, bare] = match
    if (quoted !== undefined) {
      const phrase = quoted.trim().replace(/\s+/g, ' ')
      if (!phrase) continue
      if (minus) parsed.excluded.push(`"${phrase}"`)
      else parsed.phrases.push(phrase)
      continue
    }
    const token = (bare ?? '').replace(/"/g, '')
    if (!token || token.toLowerCase() === 'or') continue
    if (token.startsWith('-')) {
      const word = token.replace(/^-+/, '')
      if (word) parsed.excluded.push(word)
    } else {
      parsed.words.push(token)
    }
  }
  return parsed
}

/**
 * The texts handed to `websearch_to_tsquery` and the embedder:
 * - `anyTerm`: phrases and words joined by `or`: a chunk matches the keyword side when it holds
 *   any of them (a question's every word is rarely in one passage);
 * - `termText`: the phrases' and words' text, whose lexemes are weighed one by one;
 * - `required`: phrases and exclusions, a filter in every mode (empty when there are none);
 * - `embedText`: what the vector side embeds, without operators and without excluded words.
 */
export function searchTexts(query: string) {
  const { words, phrases, excluded } = parseSearchQuery(query)
  const terms = [...phrases.map((p) => `"${p}"`), ...words]
  return {
    anyTerm: terms.join(' or '),
    termText: [...phrases, ...words].join(' '),
    required: [...phrases.map((p) => `"${p}"`), ...excluded.map((e) => `-${e}`)].join(' '),
    embedText: [...phrases, ...words].join(' ') || query.trim(),
  }
}
