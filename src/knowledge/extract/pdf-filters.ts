// The PDF filters that expand their input, decoded as pdf.js decodes them (same tolerance for bad
// data: decoding stops where pdf.js's would fail), one chunk at a time so that nothing but a small
// window is ever held. Used only to measure what pdf.js would unpack, never to read the text.

import { hexValue, isWhitespace } from './pdf-syntax'

/** Output is handed on in chunks of this size; a decoder reuses its chunk once the next one is asked for. */
const CHUNK = 32 * 1024

const EMPTY = new Uint8Array(0)

/** Bytes pulled one at a time from a sequence of chunks (the raw file or the filter before). */
export class ByteSource {
  private chunk: Uint8Array = EMPTY
  private at = 0
  /** How many bytes the decoder has taken: what reading this stream cost. */
  consumed = 0

  private readonly upstream: Iterator<Uint8Array>

  constructor(upstream: Iterator<Uint8Array>) {
    this.upstream = upstream
  }

  /** The next byte, or -1 at the end. */
  byte(): number {
    if (this.at >= this.chunk.length && !this.fill()) return -1
    this.consumed++
    return this.chunk[this.at++]!
  }

  private fill(): boolean {
    for (;;) {
      const next = this.upstream.next()
      if (next.done) return false
      if (next.value.length > 0) {
        this.chunk = next.value
        this.at = 0
        return true
      }
    }
  }
}

/** `bytes` from `start` to its end, in chunks that start small: most streams are short. */
export function* rawChunks(bytes: Uint8Array, start: number): Generator<Uint8Array> {
  let size = 1024
  for (let at = start; at < bytes.length; at += size, size = Math.min(size * 2, 64 * 1024)) {
    yield bytes.subarray(at, Math.min(at + size, bytes.length))
  }
}

/** Where a decoder meets the end of its data or data pdf.js could not decode either. */
class EndOfData extends Error {}
const END = new EndOfData()

/** Collects output bytes into a reused chunk; `full` says when to hand it on. */
class Output {
  readonly chunk = new Uint8Array(CHUNK)
  length = 0

  get full(): boolean {
    return this.length === CHUNK
  }

  take(): Uint8Array {
    const filled = this.chunk.subarray(0, this.length)
    this.length = 0
    return filled
  }
}

// Deflate (RFC 1951) tables, as pdf.js's FlateStream uses them.
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
]
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
const DISTANCE_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
]
const DISTANCE_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]

interface HuffmanTable {
  /** Indexed by the next `maxLength` bits: (code length << 16) | symbol, 0 where no code fits. */
  codes: Int32Array
  maxLength: number
}

/** pdf.js's generateHuffmanTable: codes stored bit-reversed, so the low bits of the buffer index them. */
function huffmanTable(lengths: ArrayLike<number>): HuffmanTable {
  let maxLength = 0
  for (let i = 0; i < lengths.length; i++) maxLength = Math.max(maxLength, lengths[i]!)
  const size = 1 << maxLength
  const codes = new Int32Array(size)
  for (let length = 1, code = 0, skip = 2; length <= maxLength; ++length, code <<= 1, skip <<= 1) {
    for (let symbol = 0; symbol < lengths.length; ++symbol) {
      if (lengths[symbol] !== length) continue
      let reversed = 0
      for (let i = 0, c = code; i < length; ++i, c >>= 1) reversed = (reversed << 1) | (c & 1)
      for (let i = reversed; i < size; i += skip) codes[i] = (length << 16) | symbol
      ++code
    }
  }
  return { codes, maxLength }
}

const FIXED_LITERALS = huffmanTable(
  Array.from({ length: 288 }, (_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8)),
)
const FIXED_DISTANCES = huffmanTable(new Array(32).fill(5))

/**
 * FlateDecode. The two-byte zlib header is skipped without checking it (pdf.js gives up on a bad
 * one; decoding anyway can only count more). A predictor never makes the data longer, so the
 * inflated size is what counts. `chargeTables` is told the size of every code table built: a
 * block header of a few bytes can ask for a table of 32,768 entries, so a stream of nothing but
 * headers would cost far more than its length.
 */
export function* inflate(source: ByteSource, chargeTables: (entries: number) => void): Generator<Uint8Array> {
  const window = new Uint8Array(32 * 1024)
  let written = 0
  const out = new Output()
  let bitBuffer = 0
  let bitCount = 0

  const bits = (n: number): number => {
    while (bitCount < n) {
      const b = source.byte()
      if (b < 0) throw END
      bitBuffer |= b << bitCount
      bitCount += 8
    }
    const value = bitBuffer & ((1 << n) - 1)
    bitBuffer >>>= n
    bitCount -= n
    return value
  }
  const symbol = (table: HuffmanTable): number => {
    while (bitCount < table.maxLength) {
      const b = source.byte()
      if (b < 0) break
      bitBuffer |= b << bitCount
      bitCount += 8
    }
    const code = table.codes[bitBuffer & ((1 << table.maxLength) - 1)]!
    const length = code >> 16
    if (length < 1 || length > bitCount) throw END
    bitBuffer >>>= length
    bitCount -= length
    return code & 0xffff
  }

  try {
    if (source.byte() < 0 || source.byte() < 0) return
    let final = false
    while (!final) {
      const header = bits(3)
      final = (header & 1) === 1
      const type = header >> 1
      if (type === 0) {
        bitBuffer = 0
        bitCount = 0
        const length = bits(16)
        const check = bits(16)
        if (length !== (~check & 0xffff) && (length !== 0 || check !== 0)) return
        for (let i = 0; i < length; i++) {
          const b = source.byte()
          if (b < 0) throw END
          window[written++ & 0x7fff] = b
          out.chunk[out.length++] = b
          if (out.full) yield out.take()
        }
        continue
      }
      let literals: HuffmanTable
      let distances: HuffmanTable
      if (type === 1) {
        literals = FIXED_LITERALS
        distances = FIXED_DISTANCES
      } else if (type === 2) {
        const literalCount = bits(5) + 257
        const distanceCount = bits(5) + 1
        const codeLengthCount = bits(4) + 4
        const codeLengthLengths = new Uint8Array(19)
        for (let i = 0; i < codeLengthCount; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]!] = bits(3)
        const codeLengths = huffmanTable(codeLengthLengths)
        const lengths = new Uint8Array(literalCount + distanceCount)
        let previous = 0
        for (let i = 0; i < lengths.length; ) {
          const code = symbol(codeLengths)
          if (code < 16) {
            lengths[i++] = previous = code
            continue
          }
          // 16 repeats the previous length; 17 and 18 write zeros (and make zero the previous).
          if (code !== 16) previous = 0
          let repeat = code === 16 ? bits(2) + 3 : code === 17 ? bits(3) + 3 : bits(7) + 11
          while (repeat-- > 0) lengths[i++] = previous
        }
        literals = huffmanTable(lengths.subarray(0, literalCount))
        distances = huffmanTable(lengths.subarray(literalCount))
        chargeTables(codeLengths.codes.length + literals.codes.length + distances.codes.length)
      } else {
        return
      }
      for (;;) {
        let code = symbol(literals)
        if (code < 256) {
          window[written++ & 0x7fff] = code
          out.chunk[out.length++] = code
          if (out.full) yield out.take()
          continue
        }
        if (code === 256) break
        code -= 257
        if (code >= LENGTH_BASE.length) return
        const length = LENGTH_BASE[code]! + bits(LENGTH_EXTRA[code]!)
        const distanceCode = symbol(distances)
        if (distanceCode >= DISTANCE_BASE.length) return
        const distance = DISTANCE_BASE[distanceCode]! + bits(DISTANCE_EXTRA[distanceCode]!)
        for (let i = 0; i < length; i++) {
          // Before the start of the output pdf.js reads zeros (an out-of-range typed array index).
          const b = written >= distance ? window[(written - distance) & 0x7fff]! : 0
          window[written++ & 0x7fff] = b
          out.chunk[out.length++] = b
          if (out.full) yield out.take()
        }
      }
    }
  } catch (error) {
    if (!(error instanceof EndOfData)) throw error
  }
  if (out.length > 0) yield out.take()
}

/** LZWDecode, as pdf.js's LZWStream (12-bit codes at most, 256 resets, 257 ends). */
export function* lzwDecode(source: ByteSource, earlyChange: number): Generator<Uint8Array> {
  const out = new Output()
  const values = new Uint8Array(4096)
  const previousCodes = new Uint16Array(4096)
  const lengths = new Uint16Array(4096)
  for (let i = 0; i < 256; i++) {
    values[i] = i
    lengths[i] = 1
  }
  const sequence = new Uint8Array(4096)
  let sequenceLength = 0
  let nextCode = 258
  let codeLength = 9
  let previousCode = 0
  let bitBuffer = 0
  let bitCount = 0
  for (;;) {
    while (bitCount < codeLength) {
      const b = source.byte()
      if (b < 0) {
        if (out.length > 0) yield out.take()
        return
      }
      bitBuffer = ((bitBuffer << 8) | b) & 0xffffff
      bitCount += 8
    }
    bitCount -= codeLength
    const code = (bitBuffer >>> bitCount) & ((1 << codeLength) - 1)
    const hadPrevious = sequenceLength > 0
    if (code < 256) {
      sequence[0] = code
      sequenceLength = 1
    } else if (code >= 258) {
      if (code < nextCode) {
        sequenceLength = lengths[code]!
        for (let j = sequenceLength - 1, q = code; j >= 0; j--) {
          sequence[j] = values[q]!
          q = previousCodes[q]!
        }
      } else if (sequenceLength < sequence.length) {
        sequence[sequenceLength++] = sequence[0]!
      }
    } else if (code === 256) {
      codeLength = 9
      nextCode = 258
      sequenceLength = 0
      continue
    } else {
      break
    }
    if (hadPrevious && nextCode < 4096) {
      previousCodes[nextCode] = previousCode
      lengths[nextCode] = Math.min(lengths[previousCode]! + 1, 4096)
      values[nextCode] = sequence[0]!
      nextCode++
      const next = nextCode + earlyChange
      codeLength = next & (next - 1) ? codeLength : Math.min(Math.log2(next) + 1, 12) | 0
    }
    previousCode = code
    for (let i = 0; i < sequenceLength; i++) {
      out.chunk[out.length++] = sequence[i]!
      if (out.full) yield out.take()
    }
  }
  if (out.length > 0) yield out.take()
}

/** ASCII85Decode: at most 4 bytes out for 1 in (`z`), ends at `~`. */
export function* ascii85Decode(source: ByteSource): Generator<Uint8Array> {
  const out = new Output()
  const group: number[] = []
  for (;;) {
    let b = source.byte()
    while (isWhitespace(b)) b = source.byte()
    if (b < 0 || b === 0x7e) break
    if (b === 0x7a && group.length === 0) {
      for (let i = 0; i < 4; i++) out.chunk[out.length++] = 0
    } else {
      group.push(b)
      if (group.length < 5) continue
      let value = 0
      for (const c of group) value = value * 85 + (c - 0x21)
      for (let i = 3; i >= 0; i--) out.chunk[out.length++] = (value >>> (i * 8)) & 0xff
      group.length = 0
    }
    if (out.length > CHUNK - 4) yield out.take()
  }
  if (group.length > 1) {
    let value = 0
    for (let i = 0; i < 5; i++) value = value * 85 + ((group[i] ?? 0x75) - 0x21)
    for (let i = 0; i < group.length - 1; i++) out.chunk[out.length++] = (value >>> ((3 - i) * 8)) & 0xff
  }
  if (out.length > 0) yield out.take()
}

/** ASCIIHexDecode: half as many bytes out as hex digits in; ends at `>`. */
export function* asciiHexDecode(source: ByteSource): Generator<Uint8Array> {
  const out = new Output()
  let high = -1
  for (;;) {
    const b = source.byte()
    if (b < 0 || b === 0x3e) break
    const digit = hexValue(b)
    if (digit < 0) continue
    if (high < 0) {
      high = digit
      continue
    }
    out.chunk[out.length++] = (high << 4) | digit
    high = -1
    if (out.full) yield out.take()
  }
  if (high >= 0) out.chunk[out.length++] = high << 4
  if (out.length > 0) yield out.take()
}

/** RunLengthDecode: up to 128 bytes out for 2 in; 128 ends. */
export function* runLengthDecode(source: ByteSource): Generator<Uint8Array> {
  const out = new Output()
  for (;;) {
    const n = source.byte()
    if (n < 0 || n === 128) break
    if (n < 128) {
      for (let i = 0; i <= n; i++) {
        const b = source.byte()
        if (b < 0) break
        out.chunk[out.length++] = b
        if (out.full) yield out.take()
      }
    } else {
      const b = source.byte()
      if (b < 0) break
      for (let i = 0; i < 257 - n; i++) {
        out.chunk[out.length++] = b
        if (out.full) yield out.take()
      }
    }
  }
  if (out.length > 0) yield out.take()
}
