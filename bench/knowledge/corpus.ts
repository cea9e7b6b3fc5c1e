// Deterministic text and PDF fixtures for the knowledge benchmarks (no files, no network).

import { pdfOf } from '../../test/support/pdf.ts'

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const COMMON =
  'the of and to in is that for it as with was on be by this are or from at an which have not but all can'.split(' ')
const SYLLABLES = 'ka ri to me la no su vi ex pro con tion ment ing er al an ar or is it ne de re ta po'.split(' ')
const UNICODE = ['café', 'naïve', 'Zürich', '東京', 'データ', '🙂', 'façade', 'señor', '–', '€42']

export function vocabulary(size: number, random: () => number): string[] {
  const words: string[] = []
  for (let i = 0; i < size; i++) {
    const n = 1 + Math.floor(random() * 3)
    let w = ''
    for (let s = 0; s < n; s++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)]
    words.push(w)
  }
  return words
}

/** Paragraphs of pseudo-English with punctuation, numbers and some non-ASCII words. */
export function proseText(approxWords: number, seed = 1, topic: string[] = []): string {
  const random = seededRandom(seed)
  const words = vocabulary(3000, random)
  const out: string[] = []
  let sentence = 0
  for (let i = 0; i < approxWords; i++) {
    const r = random()
    let w: string
    if (topic.length && r < 0.45) w = topic[Math.floor(random() ** 2 * topic.length)]!
    else if (r < 0.75) w = COMMON[Math.floor(random() * COMMON.length)]!
    else if (r < 0.985) w = words[Math.floor(random() ** 2 * words.length)]!
    else if (r < 0.993) w = String(Math.floor(random() * 10_000))
    else w = UNICODE[Math.floor(random() * UNICODE.length)]!
    if (sentence === 0) w = w[0]!.toUpperCase() + w.slice(1)
    sentence++
    if (sentence > 6 && random() < 0.12) {
      w += random() < 0.85 ? '.' : '?'
      sentence = 0
      if (random() < 0.15) w += '\n\n'
    } else if (random() < 0.05) w += ','
    out.push(w)
  }
  return out.join(' ').replace(/\n\n /g, '\n\n')
}

/** A valid PDF with one page of Helvetica text per entry (ASCII only), correct xref offsets. */
export function buildPdf(pages: string[][]): Uint8Array {
  const objects: string[] = []
  const firstPage = 4
  const kids = pages.map((_, i) => `${firstPage + 2 * i} 0 R`).join(' ')
  objects.push('<< /Type /Catalog /Pages 2 0 R >>')
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`)
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>')
  pages.forEach((lines, i) => {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${firstPage + 2 * i + 1} 0 R >>`,
    )
    const ops = ['BT', '/F1 10 Tf', '12 TL', '50 750 Td']
    for (const line of lines) ops.push(`(${line.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj T*`)
    ops.push('ET')
    const stream = ops.join('\n')
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`)
  })
  return pdfOf(objects)
}

/** `pageCount` pages of ~60 lines of ASCII prose each (about 450 words a page). */
export function hundredPagePdf(pageCount = 100): Uint8Array {
  const pages: string[][] = []
  for (let p = 0; p < pageCount; p++) {
    const text = proseText(450, 1000 + p).replace(/[^\x20-\x7e\n]/g, 'x')
    const lines: string[] = []
    for (const paragraph of text.split('\n\n')) {
      let line = ''
      for (const word of paragraph.split(' ')) {
        if (line.length + word.length > 95) {
          lines.push(line)
          line = ''
        }
        line += (line ? ' ' : '') + word
      }
      if (line) lines.push(line)
    }
    pages.push(lines.slice(0, 62))
  }
  return buildPdf(pages)
}
