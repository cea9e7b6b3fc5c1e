// PDFs built to make pdf.js unpack or draw far more than their size: made in the test, so no large
// fixture is committed.

import { concatBytes } from '../bytes.ts'

/** One byte per character (PDF syntax is bytes; `\x81` must stay one byte). */
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const MB = 1024 * 1024

/** `format`-compressed chunks (zlib `deflate` is what a PDF's FlateDecode holds). */
export async function compressed(
  chunks: Iterable<Uint8Array>,
  format: 'deflate' | 'deflate-raw' = 'deflate',
): Promise<Uint8Array> {
  const stream = new CompressionStream(format)
  const writing = (async () => {
    const writer = stream.writable.getWriter()
    for (const chunk of chunks) await writer.write(chunk as Uint8Array<ArrayBuffer>)
    await writer.close()
  })()
  const parts: Uint8Array[] = []
  const reader = stream.readable.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parts.push(value)
  }
  await writing
  return concatBytes(parts)
}

/** `unit` repeated `times` times, handed out a megabyte at a time. */
export function* repeatedChunks(unit: string, times: number): Generator<Uint8Array> {
  const perChunk = Math.max(1, Math.floor(MB / unit.length))
  const block = latin1(unit.repeat(perChunk))
  for (let left = times; left > 0; left -= perChunk) {
    yield left >= perChunk ? block : block.subarray(0, left * unit.length)
  }
}

/** `n` spaces, a megabyte at a time. */
export const spaces = (n: number) => repeatedChunks(' ', n)

/** A PDF object: a dictionary or other value, or a stream (its dictionary without /Length, and its data). */
export type PdfObject = string | { dict: string; data: Uint8Array; length?: number }

/**
 * A PDF of `objects` in order (object 1 is the catalog) with a correct xref table. A stream's
 * /Length is its data's, unless `length` says otherwise (a lie).
 */
export function binaryPdfOf(objects: PdfObject[]): Uint8Array {
  const parts: Uint8Array[] = [latin1('%PDF-1.5\n%\xe2\xe3\n')]
  let size = parts[0]!.length
  const push = (part: Uint8Array) => {
    parts.push(part)
    size += part.length
  }
  const offsets: number[] = []
  objects.forEach((object, i) => {
    offsets.push(size)
    if (typeof object === 'string') {
      push(latin1(`${i + 1} 0 obj\n${object}\nendobj\n`))
      return
    }
    const dict = object.dict.replace(/>>\s*$/, ` /Length ${object.length ?? object.data.length} >>`)
    push(latin1(`${i + 1} 0 obj\n${dict}\nstream\n`))
    push(object.data)
    push(latin1('\nendstream\nendobj\n'))
  })
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) tail += `${String(offset).padStart(10, '0')} 00000 n \n`
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`
  push(latin1(tail))
  return concatBytes(parts)
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'

/** A one-page PDF (Helvetica as /F1) whose page draws content stream `content` (object 3). */
export function onePagePdf(content: PdfObject): Uint8Array {
  return binaryPdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    content,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    FONT,
  ])
}

/**
 * The reproduced attack: one page whose FlateDecode content stream inflates to `bytes` of spaces
 * (200 MB deflate to about 200 KB) and holds no text. `lengthLie` declares that /Length instead.
 */
export async function flateBombPdf(bytes: number, options: { lengthLie?: number } = {}) {
  const data = await compressed(spaces(bytes))
  return onePagePdf({ dict: '<< /Filter /FlateDecode >>', data, length: options.lengthLie })
}

/** The same, deflated twice: the file is a few kilobytes, its first inflation a few hundred. */
export async function doubleFlateBombPdf(bytes: number) {
  const data = await compressed([await compressed(spaces(bytes))])
  return onePagePdf({ dict: '<< /Filter [/FlateDecode /FlateDecode] >>', data })
}

/**
 * An object stream (what PDF 1.5 packs small objects into) holding, as object 5, a stream that
 * inflates to `bytes` of spaces: only unpacking the object stream shows the inner stream.
 */
export async function objectStreamBomb(bytes: number): Promise<Uint8Array> {
  const inner = await compressed(spaces(bytes))
  const header = latin1('5 0 ')
  const body = concatBytes([
    latin1(`<< /Filter /FlateDecode /Length ${inner.length} >>\nstream\n`),
    inner,
    latin1('\nendstream\n'),
  ])
  const packed = await compressed([header, body])
  return binaryPdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [] /Count 0 >>',
    { dict: `<< /Type /ObjStm /N 1 /First ${header.length} /Filter /FlateDecode >>`, data: packed },
  ])
}

/** A page of `operators` path operators (`0 0 m`, drawing nothing visible) after a line of text. */
export async function operatorBombPdf(operators: number) {
  const data = await compressed([
    latin1('BT /F1 12 Tf 72 712 Td (Hello) Tj ET\n'),
    ...repeatedChunks('0 0 m\n', operators),
  ])
  return onePagePdf({ dict: '<< /Filter /FlateDecode >>', data })
}

/** A page that shows `words` one-word text items: slow for pdf.js to read, yet within every byte budget. */
export async function manyWordsPdf(words: number) {
  const data = await compressed([
    latin1('BT /F1 12 Tf 72 712 Td\n'),
    ...repeatedChunks('(word) Tj 0 -1 Td\n', words),
    latin1('ET\n'),
  ])
  return onePagePdf({ dict: '<< /Filter /FlateDecode >>', data })
}

/** Deflate data written bit by bit: fields least significant bit first, Huffman codes most significant first. */
class BitWriter {
  private readonly bytes: number[] = []
  private bit = 0

  field(value: number, width: number): void {
    for (let i = 0; i < width; i++) this.push((value >> i) & 1)
  }

  code(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) this.push((value >> i) & 1)
  }

  private push(b: number): void {
    if (this.bit === 0) this.bytes.push(0)
    this.bytes[this.bytes.length - 1]! |= b << this.bit
    this.bit = (this.bit + 1) % 8
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes)
  }
}

/**
 * A zlib stream of `blocks` empty deflate blocks, each about 14 bytes of header that asks for a
 * 32,768-entry code table (its one code, the end of block, 15 bits long): nothing unpacked, much built.
 */
export function tableBombDeflate(blocks: number): Uint8Array {
  const out = new BitWriter()
  out.field(0x78, 8)
  out.field(0x01, 8)
  // The code-length code: symbols 0, 15 and 18, two bits each (codes 00, 01, 10).
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
  for (let n = 0; n < blocks; n++) {
    out.field(n === blocks - 1 ? 1 : 0, 1)
    out.field(2, 2)
    out.field(0, 5) // 257 literal/length codes
    out.field(0, 5) // 1 distance code
    out.field(15, 4) // 19 code-length code lengths
    for (const symbol of order) out.field(symbol === 0 || symbol === 15 || symbol === 18 ? 2 : 0, 3)
    // Literals 0-255 unused (18: 138 zeros, then 118), the end of block 15 bits long, no distance.
    out.code(0b10, 2)
    out.field(127, 7)
    out.code(0b10, 2)
    out.field(107, 7)
    out.code(0b01, 2)
    out.code(0b00, 2)
    out.code(0, 15) // the end of block
  }
  return out.done()
}

/** The CMap that wraps `ranges` (lines of `beginbfrange`, `begincidrange`... blocks) as a ToUnicode stream holds it. */
export const toUnicodeCMap = (ranges: string) =>
  [
    '/CIDInit /ProcSet findresource begin 12 dict begin begincmap',
    '/CMapName /Adobe-Identity-UCS def /CMapType 2 def',
    '1 begincodespacerange <00> <FF> endcodespacerange',
    ranges,
    'endcmap CMapName currentdict /CMap defineresource pop end end',
  ].join('\n')

/**
 * A one-page PDF showing "Hi" in Helvetica whose /ToUnicode is the CMap `cmap`, deflated: what
 * pdf.js parses, expanding each of its ranges into one map entry per code, when it loads the font.
 */
export async function toUnicodePdf(cmap: string): Promise<Uint8Array> {
  return binaryPdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    { dict: '<< /Filter /FlateDecode >>', data: await compressed([latin1('BT /F1 12 Tf 72 712 Td (Hi) Tj ET')]) },
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>',
    { dict: '<< /Filter /FlateDecode >>', data: await compressed([latin1(cmap)]) },
  ])
}

/**
 * A ToUnicode of `ranges` lines `<000000> <FFFFFF> <0041>`, each about 30 bytes that pdf.js
 * expands into 16,777,216 entries (its own cap on one range: larger ones it skips).
 */
export const cmapBomb = (ranges = 1) =>
  toUnicodePdf(toUnicodeCMap(`${ranges} beginbfrange\n${'<000000> <FFFFFF> <0041>\n'.repeat(ranges)}endbfrange`))
