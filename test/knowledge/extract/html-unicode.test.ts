// The HTML scanner finds tags in the input by position: case folding that changes a string's length
// (U+0130 İ lower-cases to two code units) would point it at the wrong text. It folds ASCII only.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { htmlToText } from '../../../src/knowledge/extract/html'

describe('characters whose case folding changes their length', () => {
  it('İ×12 before a script: the script stays hidden', () => {
    expect(htmlToText(`${'İ'.repeat(12)} ok <script>var secret=1</script> end`)).toBe(`${'İ'.repeat(12)} ok end`)
  })

  it.each([
    ['U+0130 İ', 'İ'],
    ['U+1E9E ẞ', 'ẞ'],
    ['the ﬃ ligature', 'ﬃ'],
    ['U+212A Kelvin sign', 'K'],
    ['an astral letter 𐐀', '𐐀'],
  ])('%s before a style, a comment and a SCRIPT: all hidden', (_name, char) => {
    const html = `${char.repeat(40)}<p>a</p><STYLE>p{}</STYLE>b<!-- note -->c<ScRiPt>x=1</sCrIpT>d`
    expect(htmlToText(html)).toBe(`${char.repeat(40)}\na\nb c d`)
  })

  it('a tag name is matched in ASCII only, as browsers do: <scrİpt> is no script', () => {
    expect(htmlToText('<scrİpt>shown</scrİpt>')).toBe('shown')
  })
})

/** Text with the characters that break Unicode case folding, among any others (astral, unpaired surrogates). */
const tricky = fc.constantFrom('İ', 'ẞ', 'ß', 'ﬀ', 'ﬁ', 'ﬃ', 'ŉ', 'ǰ', 'ΐ', 'ΰ', 'K', 'Å', 'Σ', '𐐀', '𝔄', '😀', 'ı')
const anyChar = fc.oneof(
  { weight: 3, arbitrary: tricky },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\n', 'a', 'Z', '&', '"', "'", '/', '=') },
)
/** Text outside markup: anything but `<`, which would open a tag of its own. */
const text = fc.string({ unit: anyChar, maxLength: 30 }).map((s) => s.replaceAll('<', ''))
/** Inside a double-quoted attribute: anything but its quote. */
const attribute = fc.string({ unit: anyChar, maxLength: 30 }).map((s) => s.replaceAll('"', ''))
const randomCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''))

const HIDDEN = 'HIDDEN_7f3a'
const SHOWN = 'SHOWN_c41e'

/** A piece of a document: visible text, or markup whose content must never reach the output. */
const piece = fc.oneof(
  text.map((t) => `${t} ${SHOWN} `),
  fc
    .tuple(fc.constantFrom('script', 'style'), attribute, text, text)
    .chain(([name, attr, before, after]) =>
      fc
        .tuple(randomCase(name), randomCase(name))
        .map(([open, close]) => `<${open} data-x="${attr}">${before}${HIDDEN}${after}</${close}>`),
    ),
  fc.tuple(text, text).map(([before, after]) => `<!--${before.replaceAll('-', '')}${HIDDEN}${after}-->`),
  attribute.map((attr) => `<p title="${attr}">`),
)

describe('property: no script, style or comment text reaches the output', () => {
  it('with any Unicode before and inside the tags', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const html = pieces.join('')
        const out = htmlToText(html)
        expect(out).not.toContain(HIDDEN)
        const shown = pieces.filter((p) => p.includes(SHOWN) && !p.startsWith('<')).length
        expect(out.split(SHOWN).length - 1).toBe(shown)
      }),
      { numRuns: 500 },
    )
  })
})
