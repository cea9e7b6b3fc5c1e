import { ExtractionLimitExceeded, Unreadable } from '../../errors'
import { CmapWatch, cmapEntries, mentionsCmap } from './pdf-cmap'
import {
  ascii85Decode,
  asciiHexDecode,
  ByteSource,
  inflate,
  lzwDecode,
  rawChunks,
  runLengthDecode,
} from './pdf-filters'
import { Lexer, OperatorCounter, type PdfDict, PdfName, PdfRef, type PdfValue, streamAt } from './pdf-syntax'

export interface PdfStreamLimits {
  /** Everything every stream unpacks to, each filter of a chain counted (pdf.js keeps each one's output). */
  maxDecodedBytes: number
  maxOperatorsPerStream: number
  /** Entries all the document's CMaps (fonts' /Encoding and /ToUnicode) map, each code of a range counted. */
  maxCmapEntries: number
}

/** A CMap stream larger than this is refused rather than kept whole to be read (Adobe's largest are under 1 MB). */
const MAX_CMAP_STREAM_BYTES = 8 * 1024 * 1024

/** A stream that unpacks to an object stream that holds a stream that unpacks to... at most this deep. */
const MAX_OBJECT_STREAM_DEPTH = 4

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
const resaveHint = 'save it again (for example, print it to PDF) and upload the copy'
const cannotCheck = (why: string) =>
  new Unreadable(`The PDF is built in a way that cannot be checked safely (${why}); ${resaveHint}`)
const tooTangled = () =>
  new ExtractionLimitExceeded(
    `Checking the PDF would take too long: its compressed data is laid out in an unusually tangled way; ${resaveHint}`,
  )

/**
 * Refuses a PDF that would unpack to more than the limits, before pdf.js reads any of it.
 *
 * pdf.js (bundled in unpdf) has no option or hook to bound what it decodes: its decoders are
 * internal classes, `getDocument` takes no such limit, and `definePDFJSModule` only swaps the whole
 * build. So this pass decodes, and counts, every stream pdf.js could decode: not the ones the xref
 * lists (an attacker writes the xref, and pdf.js rebuilds a broken one from the raw bytes) but one
 * for every `<< ... >> stream` that pdf.js would parse starting at any `<<` of the file, read from
 * its `stream` line to the end of the file whatever its /Length says (a decoder stops where its
 * data ends; reading further only counts more), through its whole filter chain. Object streams are
 * unpacked and searched the same way. Content streams have their operators counted on the way.
 */
export function assertPdfStreamsWithin(bytes: Uint8Array, limits: PdfStreamLimits): void {
  // Encrypted streams cannot be measured without decrypting them, which pdf.js would do even with
  // no password (an owner-password-only "protected" PDF): refused, the customer can save a plain copy.
  if (namesEncryption(bytes)) {
    throw new Unreadable('The PDF is encrypted (password-protected); save a copy without protection and upload that')
  }
  const budget = {
    limits,
    decoded: 0,
    tableEntries: 0,
    cmapEntries: 0,
    readCmap(cmap: Uint8Array | 'tooLarge' | undefined) {
      if (cmap === undefined) return
      if (cmap === 'tooLarge') {
        throw new ExtractionLimitExceeded(
          `A font of the PDF has a character map larger than ${mb(MAX_CMAP_STREAM_BYTES)} MB (the limit); ${resaveHint}`,
        )
      }
      this.cmapEntries += cmapEntries(cmap, limits.maxCmapEntries - this.cmapEntries)
      if (this.cmapEntries > limits.maxCmapEntries) {
        throw new ExtractionLimitExceeded(
          `The PDF's fonts map more than ${limits.maxCmapEntries.toLocaleString('en-US')} characters (the limit); ${resaveHint}`,
        )
      }
    },
    chargeTables(entries: number) {
      // Ordinary deflate data builds about one table entry per byte it unpacks to.
      this.tableEntries += entries
      if (this.tableEntries > 4 * limits.maxDecodedBytes) throw tooTangled()
    },
    spend(n: number) {
      this.decoded += n
      if (this.decoded > limits.maxDecodedBytes) {
        throw new ExtractionLimitExceeded(
          `The PDF unpacks to more than ${mb(limits.maxDecodedBytes)} MB (the limit); remove large images or split it into smaller files`,
        )
      }
    },
  }
  scan(bytes, 0, budget)
}

type Budget = {
  limits: PdfStreamLimits
  spend(n: number): void
  chargeTables(entries: number): void
  /** Counts the entries of a stream that may be a CMap (pdf.js would read it as one if a font names it). */
  readCmap(cmap: Uint8Array | 'tooLarge' | undefined): void
}

/** Whether any dictionary of the file has an /Encrypt key (however its name is #-escaped). */
function namesEncryption(bytes: Uint8Array): boolean {
  for (let at = bytes.indexOf(0x2f); at >= 0; at = bytes.indexOf(0x2f, at + 1)) {
    const first = bytes[at + 1]
    if (first !== 0x45 && first !== 0x23) continue
    const token = new Lexer(bytes, at).next()
    if (token.kind === 'name' && token.name === 'Encrypt') return true
  }
  return false
}

function scan(bytes: Uint8Array, depth: number, budget: Budget): void {
  // Legitimate files parse each dictionary a few times (once per nesting level) and read each
  // stream once; overlapping or endless data would make this pass quadratic.
  const maxParsed = 8 * bytes.length + 4 * 1024 * 1024
  const maxRead = 2 * bytes.length + 1024 * 1024
  let parsed = 0
  let read = 0
  const decoded = new Set<string>()
  for (let at = bytes.indexOf(0x3c); at >= 0; at = bytes.indexOf(0x3c, at + 1)) {
    if (bytes[at + 1] !== 0x3c) continue
    const { stream, readTo } = streamAt(bytes, at)
    parsed += readTo - at
    if (parsed > maxParsed) throw tooTangled()
    if (!stream) continue
    const chain = filterChain(stream.dict)
    if (!chain) continue
    // Nested dictionaries and dictionaries inside strings may describe the same data alike.
    const key = `${stream.dataStart} ${chain.map((step) => step.name).join(' ')}`
    if (decoded.has(key)) continue
    decoded.add(key)
    read += measureStream(bytes, stream.dataStart, stream.dict, chain, depth, budget)
    if (read > maxRead) throw tooTangled()
  }
}

interface FilterStep {
  name: 'flate' | 'lzw' | 'ascii85' | 'asciiHex' | 'runLength' | 'image'
  earlyChange: number
}

const FILTERS: Record<string, FilterStep['name'] | 'brotli'> = {
  FlateDecode: 'flate',
  Fl: 'flate',
  LZWDecode: 'lzw',
  LZW: 'lzw',
  ASCII85Decode: 'ascii85',
  A85: 'ascii85',
  ASCIIHexDecode: 'asciiHex',
  AHx: 'asciiHex',
  RunLengthDecode: 'runLength',
  RL: 'runLength',
  DCTDecode: 'image',
  DCT: 'image',
  JPXDecode: 'image',
  JBIG2Decode: 'image',
  CCITTFaxDecode: 'image',
  CCF: 'image',
  BrotliDecode: 'brotli',
}

/**
 * The filters pdf.js would apply, in order, or undefined where pdf.js would not make a stream of
 * it at all. Unknown filter names pass the data through in pdf.js too, so they are left out.
 *
 * ASCIIHex, ASCII85, RunLength and LZW expand their input (up to 4, 128 and thousands of times)
 * and are decoded and counted like Flate rather than refused: old PDF writers use them, and each
 * takes a few lines. Brotli (new in PDF 2.0, next to unused) is refused instead of carrying a
 * decoder for it. The image codecs (DCT, JPX, JBIG2, CCITT) are not measured: text extraction
 * decodes an image only if a page names it as its content, which no honest PDF does. One in the
 * middle of a chain is refused, as is a predictor there (its output, which the next filter reads,
 * is not what was measured) and a filter named through a reference.
 */
function filterChain(dict: PdfDict): FilterStep[] | undefined {
  const filters = dict.has('F') ? dict.get('F') : dict.get('Filter')
  const params = dict.has('DP') ? dict.get('DP') : dict.get('DecodeParms')
  if (filters instanceof PdfRef) throw cannotCheck('its compression is named indirectly')
  const names: PdfValue[] = filters instanceof PdfName ? [filters] : Array.isArray(filters) ? filters : []
  const steps: FilterStep[] = []
  for (const [i, name] of names.entries()) {
    if (name instanceof PdfRef) throw cannotCheck('its compression is named indirectly')
    if (!(name instanceof PdfName)) return undefined
    const kind = FILTERS[name.name]
    if (kind === undefined) continue
    if (kind === 'brotli') throw cannotCheck('it uses Brotli compression')
    if (steps.at(-1)?.name === 'image') throw cannotCheck('an image format is followed by more compression')
    const own = filters instanceof PdfName ? params : Array.isArray(params) ? params[i] : undefined
    const isLast = i === names.length - 1
    if (!isLast && (kind === 'flate' || kind === 'lzw') && mayHavePredictor(own)) {
      throw cannotCheck('a predictor in the middle of its compression')
    }
    const earlyChange = own instanceof Map ? own.get('EarlyChange') : undefined
    steps.push({ name: kind, earlyChange: typeof earlyChange === 'number' ? earlyChange : 1 })
  }
  return steps
}

function mayHavePredictor(params: PdfValue | undefined): boolean {
  if (params instanceof PdfRef) return true
  if (!(params instanceof Map)) return false
  const predictor = params.get('Predictor')
  return predictor !== undefined && !(typeof predictor === 'number' && predictor <= 1)
}

const nameOf = (dict: PdfDict, key: string) => {
  const value = dict.get(key)
  return value instanceof PdfName ? value.name : undefined
}

/** Has /N and /First: pdf.js reads such a stream as an object stream whatever its /Type says. */
const isObjectStream = (dict: PdfDict) => dict.has('N') && dict.has('First')

/**
 * Streams that say they hold images, fonts, files or other data: their bytes are not drawing
 * operators, and counting them as such would refuse ordinary files. A content stream dressed up
 * as one of these still has its bytes counted; if it draws no text, only the Worker's CPU limit
 * stops pdf.js on it (the time budget is checked between chunks of a page's text).
 */
function saysItHoldsData(dict: PdfDict): boolean {
  const type = nameOf(dict, 'Type')
  const subtype = nameOf(dict, 'Subtype')
  return (
    (isObjectStream(dict) ||
      dict.has('Length1') ||
      dict.has('Length2') ||
      dict.has('Length3') ||
      ['XRef', 'ObjStm', 'Metadata', 'EmbeddedFile', 'XObject'].includes(type ?? '') ||
      ['Image', 'XML', 'Type1C', 'CIDFontType0C', 'OpenType'].includes(subtype ?? '')) &&
    subtype !== 'Form'
  )
}

function decoder(step: FilterStep, source: ByteSource, budget: Budget): Generator<Uint8Array> {
  switch (step.name) {
    case 'flate':
      return inflate(source, (entries) => budget.chargeTables(entries))
    case 'lzw':
      return lzwDecode(source, step.earlyChange)
    case 'ascii85':
      return ascii85Decode(source)
    case 'asciiHex':
      return asciiHexDecode(source)
    case 'runLength':
      return runLengthDecode(source)
    case 'image':
      throw new Error('image data is never decoded here')
  }
}

function* counted(chunks: Iterator<Uint8Array>, budget: Budget): Generator<Uint8Array> {
  for (let next = chunks.next(); !next.done; next = chunks.next()) {
    budget.spend(next.value.length)
    yield next.value
  }
}

/** Decodes one stream through its chain, counting every filter's output; returns the raw bytes it read. */
function measureStream(
  bytes: Uint8Array,
  dataStart: number,
  dict: PdfDict,
  fullChain: FilterStep[],
  depth: number,
  budget: Budget,
): number {
  // An image codec's own output is not measured (see filterChain); what unpacks before it is.
  const image = fullChain.at(-1)?.name === 'image'
  const chain = image ? fullChain.slice(0, -1) : fullChain
  if (image && chain.length === 0) return 0
  const operators =
    image || saysItHoldsData(dict)
      ? undefined
      : new OperatorCounter(
          budget.limits.maxOperatorsPerStream,
          () =>
            new ExtractionLimitExceeded(
              `A page of the PDF has more than ${budget.limits.maxOperatorsPerStream.toLocaleString('en-US')} drawing operations (the limit); split it into smaller files or simplify its drawings`,
            ),
        )
  if (chain.length === 0) {
    // Unfiltered: pdf.js reads it in place (nothing unpacked) and object streams of this kind are
    // part of the bytes being scanned already; only the operators are left to count.
    const end = rawDataEnd(bytes, dataStart, dict)
    const data = bytes.subarray(dataStart, end)
    operators?.feed(data)
    operators?.end()
    if (!image && mentionsCmap(data)) budget.readCmap(data)
    return end - dataStart
  }
  const source = new ByteSource(rawChunks(bytes, dataStart))
  let output: Iterator<Uint8Array> = counted(decoder(chain[0]!, source, budget), budget)
  for (const step of chain.slice(1)) output = counted(decoder(step, new ByteSource(output), budget), budget)
  const objectStream = isObjectStream(dict) && depth < MAX_OBJECT_STREAM_DEPTH
  if (isObjectStream(dict) && !objectStream) {
    throw new ExtractionLimitExceeded(
      `The PDF nests compressed objects more than ${MAX_OBJECT_STREAM_DEPTH} levels deep (the limit); ${resaveHint}`,
    )
  }
  const kept: Uint8Array[] = []
  const cmap = image ? undefined : new CmapWatch(MAX_CMAP_STREAM_BYTES)
  for (let next = output.next(); !next.done; next = output.next()) {
    // Decoders reuse their chunk: what is kept is copied.
    if (objectStream) kept.push(next.value.slice())
    operators?.feed(next.value)
    cmap?.feed(next.value)
  }
  operators?.end()
  budget.readCmap(cmap?.cmap())
  if (objectStream) scan(concat(kept), depth + 1, budget)
  return source.consumed
}

/** Where pdf.js could take an unfiltered stream's data to end: /Length or the first `endstream`, the later. */
function rawDataEnd(bytes: Uint8Array, dataStart: number, dict: PdfDict): number {
  const length = dict.get('Length')
  const declared = typeof length === 'number' && length >= 0 ? dataStart + length : dataStart
  const found = indexOfAscii(bytes, 'endstream', dataStart)
  return Math.min(bytes.length, Math.max(declared, found < 0 ? bytes.length : found))
}

function indexOfAscii(bytes: Uint8Array, text: string, from: number): number {
  const first = text.charCodeAt(0)
  for (let at = bytes.indexOf(first, from); at >= 0; at = bytes.indexOf(first, at + 1)) {
    let i = 1
    while (i < text.length && bytes[at + i] === text.charCodeAt(i)) i++
    if (i === text.length) return at
  }
  return -1
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
