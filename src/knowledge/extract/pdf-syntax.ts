// Just enough of PDF's object syntax to read a stream's dictionary the way pdf.js's Lexer and Parser
// do (same delimiters, same tolerance), and to count the operators of a content stream.

import { type ExtractionLimitExceeded, Unreadable } from '../../errors'

export class PdfName {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
}
/** An indirect reference (`12 0 R`): what it points to is only known through the xref, which is not trusted. */
export class PdfRef {}
/** A bare keyword (`true`, `obj`, a stray `>>`...). */
export class PdfKeyword {
  readonly word: string
  constructor(word: string) {
    this.word = word
  }
}
/** A string's content never matters here. */
export class PdfString {}
export type PdfValue = number | PdfName | PdfRef | PdfKeyword | PdfString | PdfValue[] | PdfDict
export type PdfDict = Map<string, PdfValue>

export const isWhitespace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0
const isDelimiter = (b: number) =>
  b === 0x28 ||
  b === 0x29 ||
  b === 0x3c ||
  b === 0x3e ||
  b === 0x5b ||
  b === 0x5d ||
  b === 0x7b ||
  b === 0x7d ||
  b === 0x2f ||
  b === 0x25
const isRegular = (b: number) => b >= 0 && !isWhitespace(b) && !isDelimiter(b)

/** Deeper than this, pdf.js itself runs out of stack; such a file is refused rather than guessed at. */
const MAX_NESTING = 100

type Token =
  | { kind: 'eof' | 'dictStart' | 'dictEnd' | 'arrayStart' | 'arrayEnd' }
  /** Its content is `bytes[start, end)`, still to be unescaped (see `stringCode`). */
  | { kind: 'string'; hex: boolean; start: number; end: number }
  | { kind: 'name'; name: string }
  | { kind: 'number'; value: number; integer: boolean }
  | { kind: 'keyword'; word: string }

const EOF: Token = { kind: 'eof' }

/** Thrown where pdf.js's lexer throws (a stray `)`): no object starts here. */
export class NotAnObject extends Error {}

export class Lexer {
  private readonly bytes: Uint8Array
  pos: number

  constructor(bytes: Uint8Array, pos: number) {
    this.bytes = bytes
    this.pos = pos
  }

  private peek(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos]! : -1
  }

  next(): Token {
    const bytes = this.bytes
    let b = this.peek()
    for (;;) {
      while (isWhitespace(b)) b = bytes[++this.pos] ?? -1
      if (b !== 0x25) break
      while (b >= 0 && b !== 0x0a && b !== 0x0d) b = bytes[++this.pos] ?? -1
    }
    if (b < 0) return EOF
    this.pos++
    switch (b) {
      case 0x28: {
        const start = this.pos
        let end = bytes.length
        for (let depth = 1; depth > 0; ) {
          const c = this.peek()
          if (c < 0) break
          this.pos++
          if (c === 0x5c) this.pos++
          else if (c === 0x28) depth++
          else if (c === 0x29 && --depth === 0) end = this.pos - 1
        }
        return { kind: 'string', hex: false, start, end: Math.min(end, bytes.length) }
      }
      case 0x3c:
        if (this.peek() === 0x3c) {
          this.pos++
          return { kind: 'dictStart' }
        }
        {
          const start = this.pos
          while (this.peek() >= 0 && this.peek() !== 0x3e) this.pos++
          const end = this.pos++
          return { kind: 'string', hex: true, start, end: Math.min(end, bytes.length) }
        }
      case 0x3e:
        if (this.peek() === 0x3e) {
          this.pos++
          return { kind: 'dictEnd' }
        }
        return { kind: 'keyword', word: '>' }
      case 0x5b:
        return { kind: 'arrayStart' }
      case 0x5d:
        return { kind: 'arrayEnd' }
      case 0x29:
        throw new NotAnObject()
      case 0x2f: {
        let name = ''
        for (let c = this.peek(); isRegular(c); c = this.peek()) {
          this.pos++
          const high = hexValue(this.peek())
          const low = hexValue(this.bytes[this.pos + 1] ?? -1)
          if (c === 0x23 && high >= 0 && low >= 0) {
            this.pos += 2
            name += String.fromCharCode(high * 16 + low)
          } else {
            name += String.fromCharCode(c)
          }
        }
        return { kind: 'name', name }
      }
    }
    const start = this.pos - 1
    if (b === 0x7b || b === 0x7d) return { kind: 'keyword', word: String.fromCharCode(b) }
    while (isRegular(this.peek())) this.pos++
    const word = String.fromCharCode(...bytes.subarray(start, Math.min(this.pos, start + 32)))
    if (/^[+-]*\.?\d|^[+-]+\./.test(word)) {
      const value = Number.parseFloat(word.replace(/^[+-]*(?=[+-])/, ''))
      return { kind: 'number', value: Number.isNaN(value) ? 0 : value, integer: /^[+-]?\d+$/.test(word) }
    }
    return { kind: 'keyword', word }
  }
}

export const hexValue = (b: number) =>
  b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 55 : b >= 0x61 && b <= 0x66 ? b - 87 : -1

/**
 * pdf.js's strToInt of a string token (a CMap's character code): its bytes, as pdf.js's lexer
 * unescapes them, read big-endian into 32 bits (a longer string keeps its last four bytes). A hex
 * string skips what is not a hex digit and pads an odd last digit with 0; in a literal string an
 * octal escape may reach 511, which pdf.js ORs in as it is.
 */
export function stringCode(bytes: Uint8Array, token: { hex: boolean; start: number; end: number }): number {
  let code = 0
  const add = (c: number) => {
    code = (code << 8) | c
  }
  if (token.hex) {
    let high = -1
    for (let i = token.start; i < token.end; i++) {
      const digit = hexValue(bytes[i]!)
      if (digit < 0) continue
      if (high < 0) high = digit
      else {
        add((high << 4) | digit)
        high = -1
      }
    }
    if (high >= 0) add(high << 4)
    return code >>> 0
  }
  for (let i = token.start; i < token.end; i++) {
    const c = bytes[i]!
    if (c !== 0x5c) {
      add(c)
      continue
    }
    const e = bytes[++i] ?? -1
    if (e >= 0x30 && e <= 0x37) {
      let octal = e & 15
      for (let n = 0; n < 2 && (bytes[i + 1] ?? -1) >= 0x30 && bytes[i + 1]! <= 0x37; n++)
        octal = (octal << 3) + (bytes[++i]! & 15)
      add(octal)
    } else if (e === 0x0d) {
      if (bytes[i + 1] === 0x0a) i++
    } else if (e >= 0 && e !== 0x0a) {
      add(ESCAPES[e] ?? e)
    }
  }
  return code >>> 0
}

const ESCAPES: Record<number, number> = { 110: 0x0a, 114: 0x0d, 116: 0x09, 98: 0x08, 102: 0x0c }

const tooDeep = () => new Unreadable('The PDF is damaged: its objects are nested too deeply to read')

/** pdf.js's Parser.getObj, without resolving anything: a value from `token` on. */
function valueFrom(lexer: Lexer, token: Token, depth: number): PdfValue | undefined {
  if (depth > MAX_NESTING) throw tooDeep()
  switch (token.kind) {
    case 'eof':
      return undefined
    case 'dictStart':
      return dictBody(lexer, depth + 1)
    case 'arrayStart': {
      const array: PdfValue[] = []
      for (let t = lexer.next(); t.kind !== 'arrayEnd'; t = lexer.next()) {
        const value = valueFrom(lexer, t, depth + 1)
        if (value === undefined) return undefined
        array.push(value)
      }
      return array
    }
    case 'name':
      return new PdfName(token.name)
    case 'string':
      return new PdfString()
    case 'number': {
      if (!token.integer) return token.value
      // `12 0 R` is a reference: look two tokens ahead, as pdf.js does.
      const back = lexer.pos
      const generation = lexer.next()
      if (generation.kind === 'number' && generation.integer) {
        const r = lexer.next()
        if (r.kind === 'keyword' && r.word === 'R') return new PdfRef()
      }
      lexer.pos = back
      return token.value
    }
    case 'dictEnd':
      return new PdfKeyword('>>')
    case 'arrayEnd':
      return new PdfKeyword(']')
    case 'keyword':
      return new PdfKeyword(token.word)
  }
}

/** After `<<`: keys that are not names are skipped one token at a time, as pdf.js does. */
function dictBody(lexer: Lexer, depth: number): PdfDict | undefined {
  const dict: PdfDict = new Map()
  for (;;) {
    const key = lexer.next()
    if (key.kind === 'dictEnd') return dict
    if (key.kind === 'eof') return undefined
    if (key.kind !== 'name') continue
    const value = valueFrom(lexer, lexer.next(), depth)
    if (value === undefined) return undefined
    dict.set(key.name, value)
  }
}

export interface StreamStart {
  dict: PdfDict
  /** The first byte of the stream's data (after the line that holds `stream`). */
  dataStart: number
}

/**
 * The stream whose dictionary starts at `at` (a `<<`), if pdf.js, parsing an object from there,
 * would find `<< ... >> stream`; `lexer.pos` says how far the parse read.
 */
export function streamAt(bytes: Uint8Array, at: number): { stream?: StreamStart; readTo: number } {
  const lexer = new Lexer(bytes, at + 2)
  try {
    const dict = dictBody(lexer, 1)
    if (!dict) return { readTo: lexer.pos }
    const next = lexer.next()
    if (next.kind !== 'keyword' || next.word !== 'stream') return { readTo: lexer.pos }
    // pdf.js's skipToNextLine: the data starts after the next CR, LF or CRLF.
    let p = lexer.pos
    while (p < bytes.length && bytes[p] !== 0x0a && bytes[p] !== 0x0d) p++
    if (bytes[p] === 0x0d && bytes[p + 1] === 0x0a) p++
    return { stream: { dict, dataStart: Math.min(p + 1, bytes.length) }, readTo: lexer.pos }
  } catch (error) {
    if (error instanceof NotAnObject) return { readTo: lexer.pos }
    throw error
  }
}

const OPERANDS = new Set(['true', 'false', 'null'])

const State = {
  Between: 0,
  Comment: 1,
  LiteralString: 2,
  HexString: 3,
  AfterLessThan: 4,
  Name: 5,
  Word: 6,
  InlineImageData: 7,
} as const
type State = (typeof State)[keyof typeof State]

/**
 * Counts the operators of a content stream fed in chunks (a token that is not a number, name,
 * string or `true`/`false`/`null`), skipping the binary data of inline images (`ID` ... `EI`).
 */
export class OperatorCounter {
  count = 0
  private state: State = State.Between
  private stringDepth = 0
  private escaped = false
  private word = ''
  /** In inline image data: 1 after whitespace, 2 after whitespace `E`, 3 after whitespace `EI`. */
  private imageEnd = 0

  private readonly limit: number
  private readonly tooMany: () => ExtractionLimitExceeded

  constructor(limit: number, tooMany: () => ExtractionLimitExceeded) {
    this.limit = limit
    this.tooMany = tooMany
  }

  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) this.byte(chunk[i]!)
  }

  end(): void {
    if (this.state === State.Word) this.endWord()
  }

  private operator(): void {
    if (++this.count > this.limit) throw this.tooMany()
  }

  private endWord(): void {
    const word = this.word
    this.word = ''
    this.state = State.Between
    if (/^[+\-.\d]/.test(word) || OPERANDS.has(word)) return
    this.operator()
    if (word === 'ID') {
      this.state = State.InlineImageData
      this.imageEnd = 0
    }
  }

  private byte(b: number): void {
    switch (this.state) {
      case State.Comment:
        if (b === 0x0a || b === 0x0d) this.state = State.Between
        return
      case State.LiteralString:
        if (this.escaped) this.escaped = false
        else if (b === 0x5c) this.escaped = true
        else if (b === 0x28) this.stringDepth++
        else if (b === 0x29 && --this.stringDepth === 0) this.state = State.Between
        return
      case State.HexString:
        if (b === 0x3e) this.state = State.Between
        return
      case State.AfterLessThan:
        this.state = b === 0x3c ? State.Between : b === 0x3e ? State.Between : State.HexString
        return
      case State.InlineImageData:
        if (this.imageEnd === 3 && (isWhitespace(b) || isDelimiter(b))) {
          this.operator()
          this.state = State.Between
          this.byte(b)
          return
        }
        this.imageEnd = isWhitespace(b)
          ? 1
          : this.imageEnd === 1 && b === 0x45
            ? 2
            : this.imageEnd === 2 && b === 0x49
              ? 3
              : 0
        return
      case State.Name:
        if (isRegular(b)) return
        this.state = State.Between
        break
      case State.Word:
        if (isRegular(b)) {
          if (this.word.length < 8) this.word += String.fromCharCode(b)
          return
        }
        this.endWord()
        // The one whitespace after `ID` is not image data.
        if ((this.state as State) === State.InlineImageData) return
        break
      case State.Between:
        break
    }
    if (isWhitespace(b) || b === 0x5b || b === 0x5d || b === 0x7b || b === 0x7d || b === 0x3e) return
    if (b === 0x25) this.state = State.Comment
    else if (b === 0x28) {
      this.state = State.LiteralString
      this.stringDepth = 1
    } else if (b === 0x3c) this.state = State.AfterLessThan
    else if (b === 0x2f) this.state = State.Name
    else if (b === 0x29) return
    else {
      this.state = State.Word
      this.word = String.fromCharCode(b)
    }
  }
}
