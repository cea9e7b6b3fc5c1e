// How many entries pdf.js would build from a CMap (a font's /Encoding or /ToUnicode stream): it
// expands every range into one map entry per code, so a line of 30 bytes can cost 16 M entries.

import { Lexer, NotAnObject, stringCode } from './pdf-syntax'

/** pdf.js's MAX_MAP_RANGE: a range wider than this it skips (with the rest of its block). */
const MAX_MAP_RANGE = 2 ** 24 - 1

/** What opens a block of entries, and what each entry's destination must be. */
const BLOCKS: Record<string, { end: string; range: boolean; to: 'int' | 'string' | 'bf' }> = {
  begincidrange: { end: 'endcidrange', range: true, to: 'int' },
  beginbfrange: { end: 'endbfrange', range: true, to: 'bf' },
  begincidchar: { end: 'endcidchar', range: false, to: 'int' },
  beginbfchar: { end: 'endbfchar', range: false, to: 'string' },
}

/** The words that make a stream worth parsing as a CMap (codespace ranges build no entries). */
const CMAP_KEYWORDS = Object.keys(BLOCKS)

/**
 * The entries pdf.js's parseCMap would map for `bytes`, read the way it reads them: a malformed
 * entry (a code that is not a string, a destination of the wrong kind, a range over pdf.js's cap)
 * ends its block there, as pdf.js's error does, and the tokens after it are read as top-level
 * ones; a reversed range maps nothing; `endcmap` ends the CMap. Counting stops past `stopAbove`.
 */
export function cmapEntries(bytes: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  const lexer = new Lexer(bytes, 0)
  let entries = 0
  for (;;) {
    try {
      const token = lexer.next()
      if (token.kind === 'eof') return entries
      // pdf.js reads the value after these two names, whatever it is.
      if (token.kind === 'name' && (token.name === 'WMode' || token.name === 'CMapName')) lexer.next()
      if (token.kind !== 'keyword') continue
      if (token.word === 'endcmap') return entries
      const block = BLOCKS[token.word]
      if (block) entries += blockEntries(lexer, bytes, block)
      if (entries > stopAbove) return entries
    } catch (error) {
      // pdf.js's lexer throws on a stray `)` and parseCMap carries on after it.
      if (!(error instanceof NotAnObject)) throw error
    }
  }
}

/** Entries a block maps, up to its end or its first malformed entry (what it mapped so far stays). */
function blockEntries(lexer: Lexer, bytes: Uint8Array, block: Block): number {
  const counted = { entries: 0 }
  try {
    readBlock(lexer, bytes, block, counted)
  } catch (error) {
    if (!(error instanceof NotAnObject)) throw error
  }
  return counted.entries
}

type Block = (typeof BLOCKS)[string]

function readBlock(lexer: Lexer, bytes: Uint8Array, block: Block, counted: { entries: number }): void {
  for (;;) {
    const first = lexer.next()
    if (first.kind !== 'string') return
    let count = 1
    if (block.range) {
      const last = lexer.next()
      if (last.kind !== 'string') return
      const width = stringCode(bytes, last) - stringCode(bytes, first)
      if (width > MAX_MAP_RANGE) return
      count = Math.max(0, width + 1)
    }
    const mapped = destinationEntries(lexer, block, count)
    if (mapped === undefined) return
    counted.entries += mapped
  }
}

/**
 * What an entry of `codes` codes maps, once its destination is read: all of them for a destination
 * of the block's kind (a bf destination that is a number maps like a one-character string), as
 * many as an array lists for a bfrange, undefined for a malformed one.
 */
function destinationEntries(lexer: Lexer, block: Block, codes: number): number | undefined {
  const to = lexer.next()
  if (to.kind === 'number' && Number.isInteger(to.value)) return block.to === 'string' ? undefined : codes
  if (to.kind === 'string') return block.to === 'int' ? undefined : codes
  if (to.kind !== 'arrayStart' || block.to !== 'bf' || !block.range) return undefined
  let elements = 0
  for (let t = lexer.next(); t.kind !== 'arrayEnd' && t.kind !== 'eof'; t = lexer.next()) elements++
  return Math.min(codes, elements)
}

/**
 * Keeps a stream's decoded chunks, up to `maxBytes`, while watching for the words of a CMap; the
 * largest CMaps Adobe ships are well under a megabyte as text.
 */
export class CmapWatch {
  private kept: Uint8Array[] = []
  private size = 0
  private tail = new Uint8Array(0)
  private mentionsCmap = false
  private readonly maxBytes: number

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  feed(chunk: Uint8Array): void {
    if (!this.mentionsCmap) {
      // A word split between two chunks is found in the seam.
      const seam = new Uint8Array(this.tail.length + Math.min(chunk.length, SEAM))
      seam.set(this.tail)
      seam.set(chunk.subarray(0, SEAM), this.tail.length)
      this.mentionsCmap = mentionsCmap(seam) || mentionsCmap(chunk)
      this.tail = chunk.slice(-SEAM)
    }
    this.size += chunk.length
    if (this.size <= this.maxBytes) this.kept.push(chunk.slice())
    else this.kept = []
  }

  /** The stream, if it may be a CMap: whole, or `tooLarge` when it was more than `maxBytes`. */
  cmap(): Uint8Array | 'tooLarge' | undefined {
    if (!this.mentionsCmap) return undefined
    if (this.size > this.maxBytes) return 'tooLarge'
    const out = new Uint8Array(this.size)
    let at = 0
    for (const part of this.kept) {
      out.set(part, at)
      at += part.length
    }
    return out
  }
}

const SEAM = Math.max(...CMAP_KEYWORDS.map((word) => word.length)) - 1

/** Whether `bytes` holds one of the words that open a CMap's entries. */
export function mentionsCmap(bytes: Uint8Array): boolean {
  for (let at = bytes.indexOf(0x62); at >= 0; at = bytes.indexOf(0x62, at + 1)) {
    if (bytes[at + 1] !== 0x65 || bytes[at + 4] !== 0x6e) continue
    for (const word of CMAP_KEYWORDS) {
      let i = 0
      while (i < word.length && bytes[at + i] === word.charCodeAt(i)) i++
      if (i === word.length) return true
    }
  }
  return false
}
