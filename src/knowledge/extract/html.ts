import { normaliseWhitespace, TextCollector } from './text'

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '\u2013',
  mdash: '\u2014',
  hellip: '\u2026',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
  euro: '\u20ac',
}

// Linear: every match starts at an `&` and stops at the first character outside its class.
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(#x[0-9a-f]{1,8}|#\d{1,8}|[a-z]{1,32});/gi, (match, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1))
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ''
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? match
  })
}

/** Elements whose content is never shown: skipped up to their end tag (or to the end of the file). */
const RAW_TEXT = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'noembed', 'noframes', 'xmp', 'title'])
/** Shown as nothing when closed; an unclosed one only loses its tag. */
const HIDDEN = new Set(['svg', 'object', 'math'])
const BLOCK = new Set(
  'p div br hr h1 h2 h3 h4 h5 h6 li ul ol tr table section article header footer nav aside blockquote pre dd dt'.split(
    ' ',
  ),
)

const isLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 12 || code === 13

/**
 * A copy with A-Z lower-cased and every other character as it was, so that an index into it is an
 * index into the input. `toLowerCase()` would not do: İ (U+0130) becomes two code units, and every
 * position after it would point at the wrong text (a script indexed as if it were shown). HTML's
 * tag names are matched in ASCII case-insensitively anyway.
 */
const asciiLowerCase = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())

/**
 * `indexOf` over a lower-cased copy that remembers its last answer per needle, so searching for the
 * same end tag again and again (an unclosed `<svg>` repeated a million times) stays linear.
 */
function closingFinder(lower: string) {
  const found = new Map<string, { from: number; at: number }>()
  return (needle: string, from: number): number => {
    const last = found.get(needle)
    if (last && last.from <= from && (last.at === -1 || last.at >= from)) return last.at
    const at = lower.indexOf(needle, from)
    found.set(needle, { from, at })
    return at
  }
}

/** Where the tag starting at `<` (index `start`) ends: the index after its `>`, or -1 at end of input. */
function tagEnd(html: string, start: number): number {
  let quote = 0
  let afterEquals = false
  for (let i = start + 1; i < html.length; i++) {
    const code = html.charCodeAt(i)
    if (quote) {
      if (code === quote) quote = 0
      continue
    }
    if (code === 62 /* > */) return i + 1
    if (afterEquals && (code === 34 || code === 39)) quote = code
    if (code === 61 /* = */) afterEquals = true
    else if (!isSpace(code)) afterEquals = false
  }
  return -1
}

/**
 * The visible text of an HTML document: no tags, scripts, styles or comments. One pass over the
 * input, every character looked at a bounded number of times; the text stops at the collector's limit.
 */
export function htmlToText(html: string, collector = new TextCollector()): string {
  const lower = asciiLowerCase(html)
  const find = closingFinder(lower)
  let title = ''
  let i = 0
  // Tags become a space or, block tags, a line break (at most a blank line), written before the next text.
  let pendingBreak = ''
  const separate = (separator: ' ' | '\n') => {
    if (separator === ' ') pendingBreak ||= ' '
    else pendingBreak = pendingBreak === '\n' || pendingBreak === '\n\n' ? '\n\n' : '\n'
  }
  const addText = (text: string) => {
    if (!text) return
    if (pendingBreak && collector.size > 0) collector.add(pendingBreak)
    pendingBreak = ''
    collector.add(text)
  }
  while (i < html.length) {
    const lt = html.indexOf('<', i)
    const textEnd = lt < 0 ? html.length : lt
    if (textEnd > i) addText(decodeEntities(html.slice(i, textEnd)))
    if (lt < 0) break
    i = lt
    const next = html.charCodeAt(i + 1)
    if (html.startsWith('<!--', i)) {
      const end = find('-->', i + 4)
      i = end < 0 ? html.length : end + 3
      separate(' ')
      continue
    }
    if (html.startsWith('<![CDATA[', i)) {
      const end = find(']]>', i + 9)
      i = end < 0 ? html.length : end + 3
      continue
    }
    const closing = next === 47 /* / */
    if (next === 33 /* ! */ || next === 63 /* ? */ || (closing && !isLetter(html.charCodeAt(i + 2)))) {
      // Doctype, processing instruction, bogus comment: up to the next `>`.
      const end = find('>', i + 1)
      i = end < 0 ? html.length : end + 1
      continue
    }
    if (!closing && !isLetter(next)) {
      addText('<')
      i++
      continue
    }
    let nameEnd = i + (closing ? 2 : 1)
    while (nameEnd < html.length && !isSpace(html.charCodeAt(nameEnd)) && !'/>'.includes(html[nameEnd]!)) nameEnd++
    const name = lower.slice(i + (closing ? 2 : 1), nameEnd)
    const end = tagEnd(html, nameEnd - 1)
    // A tag cut off by the end of the file is dropped, as browsers do.
    if (end < 0) break
    i = end
    if (!closing && (RAW_TEXT.has(name) || HIDDEN.has(name))) {
      const close = find(`</${name}`, i)
      if (close < 0 && HIDDEN.has(name)) continue
      const contentEnd = close < 0 ? html.length : close
      if (name === 'title' && !title) title = html.slice(i, Math.min(contentEnd, i + 1000))
      const closeEnd = close < 0 ? -1 : tagEnd(html, close + 1)
      i = closeEnd < 0 ? html.length : closeEnd
      separate(' ')
      continue
    }
    separate(BLOCK.has(name) ? '\n' : ' ')
  }
  const text = normaliseWhitespace(collector.text())
  const cleanTitle = normaliseWhitespace(decodeEntities(title.replace(/<[^<>]*>/g, ' ')))
  return cleanTitle && !text.startsWith(cleanTitle) ? `${cleanTitle}\n\n${text}` : text
}
