/**
 * What a search box query means, in `websearch_to_tsquery`'s own syntax: `"quoted phrases"`,
 * `-excluded` words or phrases, and plain words (`or` between them is accepted and implied).
 * Unlike websearch_to_tsquery, `--option` and `-x` (one character) are words, not exclusions:
 * people search manuals for command-line options.
 */
export interface ParsedSearchQuery {
  words: string[]
  phrases: string[]
  /** Each as websearch syntax without the minus: `word` or `"a phrase"`. */
  excluded: string[]
  /** Terms past MAX_SEARCH_WORDS, as typed (`word`, `"a phrase"`, `-word`), in query order; not searched for. */
  dropped: string[]
}

/**
 * The words of a query that search uses; later terms are dropped (and the caller says which). The
 * keyword side weighs each lexeme with its own count over the KB's chunks, one subquery per lexeme,
 * and a query may be 8,000 characters: unbounded, one search could run a thousand of them.
 */
export const MAX_SEARCH_WORDS = 32

/**
 * What a term costs against MAX_SEARCH_WORDS: its runs of letters and digits, as PostgreSQL's parser
 * splits them (`e-mail` is two, and gives at most one more lexeme, the compound), at least one.
 */
const wordCost = (term: string) => Math.max(1, term.match(/[\p{L}\p{N}]+/gu)?.length ?? 0)

const TOKEN = /(-?)"([^"]*)(?:"|$)|(\S+)/g

export function parseSearchQuery(query: string): ParsedSearchQuery {
  const parsed: ParsedSearchQuery = { words: [], phrases: [], excluded: [], dropped: [] }
  let budget = MAX_SEARCH_WORDS
  // Terms in query order until the budget is spent; a term that does not fit is dropped whole.
  const take = (term: string, typed: string) => {
    const cost = wordCost(term)
    if (cost > budget) {
      parsed.dropped.push(typed)
      budget = 0
      return false
    }
    budget -= cost
    return true
  }
  for (const match of query.matchAll(TOKEN)) {
    const [, minus, quoted, bare] = match
    if (quoted !== undefined) {
      const phrase = quoted.trim().replace(/\s+/g, ' ')
      if (!phrase) continue
      if (!take(phrase, `${minus}"${phrase}"`)) continue
      if (minus) parsed.excluded.push(`"${phrase}"`)
      else parsed.phrases.push(phrase)
      continue
    }
    const token = (bare ?? '').replace(/"/g, '')
    if (!token || token.toLowerCase() === 'or') continue
    const word = token.replace(/^-+/, '')
    if (!word) continue
    if (!take(word, token)) continue
    // `-word` excludes; a command-line option (`--keep`, `-k`) is a word to find.
    if (token.startsWith('-') && !token.startsWith('--') && word.length > 1) parsed.excluded.push(word)
    else parsed.words.push(word)
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
 * Each holds only the first MAX_SEARCH_WORDS words' terms (`parseSearchQuery`).
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
