import { htmlToText } from './html'
import { TextCollector } from './text'

// Line by line, then one pass over each line's characters: no pattern here can backtrack over
// more than the run of characters it is looking at, so a file of unclosed emphasis or brackets
// costs what its length costs.

const FENCE = /^ {0,3}(?:```|~~~)/
const HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/
const LIST_MARKER = /^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]{1,999}\]:[ \t]*\S/

/** A line without its `>` markers, however deeply quoted. */
function withoutQuoteMarkers(line: string): string {
  let i = 0
  for (;;) {
    let j = i
    while (j < line.length && j - i < 3 && line[j] === ' ') j++
    if (line[j] !== '>') return line.slice(i)
    i = j + 1
    if (line[i] === ' ' || line[i] === '\t') i++
  }
}

function isThematicBreak(line: string): boolean {
  let indent = 0
  while (line[indent] === ' ') indent++
  const marker = line[indent]
  if (indent > 3 || (marker !== '-' && marker !== '*' && marker !== '_')) return false
  let count = 0
  for (let i = indent; i < line.length; i++) {
    const c = line[i]
    if (c === marker) count++
    else if (c !== ' ' && c !== '\t') return false
  }
  return count >= 3
}

function isTableDelimiterRow(line: string): boolean {
  return line.includes('|') && line.includes('-') && /^[|:\- \t]+$/.test(line)
}

function headingText(line: string): string {
  let text = line.trimStart().replace(/^#{1,6}/, '')
  text = text.trim()
  // A closing run of `#` counts only after a space ("# C#" keeps its `#`).
  let end = text.length
  while (end > 0 && text[end - 1] === '#') end--
  if (end === 0 || text[end - 1] === ' ' || text[end - 1] === '\t') text = text.slice(0, end).trimEnd()
  return text
}

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c)
const isBlank = (c: string | undefined) => c === undefined || c === ' ' || c === '\t'
/** The characters inline markup starts with; everything between them is copied in one slice. */
const SPECIAL = new Set([...'`[]!*_~|'].map((c) => c.charCodeAt(0)))
const isSpecial = (code: number) => SPECIAL.has(code)

/** `indexOf` that remembers its answer, for the monotone searches of one line. */
function finder(text: string, char: string) {
  let from = -1
  let at = -1
  return (start: number): number => {
    if (from >= 0 && from <= start && (at === -1 || at >= start)) return at
    from = start
    at = text.indexOf(char, start)
    return at
  }
}

/** Links and images to their words, code spans to their code, emphasis markers removed; written to `out`. */
function inlineText(line: string, out: { add(text: string): void }): void {
  const nextClose = finder(line, ']')
  const nextParen = finder(line, ')')
  const nextTick = finder(line, '`')
  // A link's text is scanned like the rest of the line; its `](url)` is skipped when reached.
  let linkTextEnd = -1
  let linkEnd = -1
  let i = 0
  while (i < line.length) {
    let special = i
    while (special < line.length && !isSpecial(line.charCodeAt(special))) special++
    if (special > i) out.add(line.slice(i, special))
    i = special
    if (i >= line.length) break
    const c = line[i]!
    if (linkTextEnd >= 0 && i >= linkTextEnd) {
      if (i <= linkEnd) i = linkEnd + 1
      linkTextEnd = -1
      continue
    }
    if (c === '`') {
      const close = nextTick(i + 1)
      if (close > i) {
        out.add(line.slice(i + 1, close))
        i = close + 1
        continue
      }
    }
    if ((c === '[' || (c === '!' && line[i + 1] === '[')) && linkTextEnd < 0) {
      const open = c === '!' ? i + 1 : i
      const close = nextClose(open + 1)
      if (close > open && line[close + 1] === '(') {
        const paren = nextParen(close + 2)
        if (paren > close) {
          linkTextEnd = close
          linkEnd = paren
          i = open + 1
          continue
        }
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      let runEnd = i
      while (line[runEnd] === c) runEnd++
      const before = line[i - 1]
      const after = line[runEnd]
      const flanking = !isBlank(before) || !isBlank(after)
      const isMarker =
        c === '~' ? runEnd - i === 2 && flanking : flanking && !(c === '_' && isWordChar(before) && isWordChar(after))
      if (!isMarker) out.add(line.slice(i, runEnd))
      i = runEnd
      continue
    }
    out.add(c === '|' ? ' ' : c)
    i++
  }
}

/** Markdown to its readable text: the words stay, the markup goes; stops at the collector's limit. */
export function markdownToText(markdown: string, collector = new TextCollector()): string {
  let start = 0
  while (start <= markdown.length) {
    let end = markdown.indexOf('\n', start)
    if (end < 0) end = markdown.length
    const raw = markdown.slice(start, end > start && markdown[end - 1] === '\r' ? end - 1 : end)
    const markupOnly =
      FENCE.test(raw) ||
      SETEXT_UNDERLINE.test(raw) ||
      isThematicBreak(raw) ||
      isTableDelimiterRow(raw) ||
      REFERENCE_DEFINITION.test(raw)
    if (!markupOnly) {
      const line = withoutQuoteMarkers(raw)
      inlineText(HEADING.test(line) ? headingText(line) : line.replace(LIST_MARKER, '$1'), collector)
    }
    if (end < markdown.length) collector.add('\n')
    start = end + 1
  }
  const text = collector.text()
  // Markdown may embed HTML; its tags are markup too.
  return containsHtmlTag(text) ? htmlToText(text) : text.trim()
}

function containsHtmlTag(text: string): boolean {
  const lastGt = text.lastIndexOf('>')
  if (lastGt < 0) return false
  const tagStart = /<[a-z!/]/i.exec(text)
  return tagStart !== null && tagStart.index < lastGt
}
