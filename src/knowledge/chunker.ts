import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base'
// gpt-tokenizer decodes partial UTF-8 through this one shared TextDecoder in streaming mode: bytes
// of a character cut at the end of one decode() stay buffered and surface inside the NEXT call's
// text. Flushing it after every decode keeps windows independent and tells us a character was cut.
import { decoder as sharedDecoder } from 'gpt-tokenizer/esm/BytePairEncodingCore'
import { CHUNK_OVERLAP_TOKENS, CHUNK_TOKENS } from './limits'

export interface TextChunk {
  content: string
  tokenCount: number
}

const NO_SPECIAL_TOKENS = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() }
const REPLACEMENT = '\uFFFD'
/** A UTF-8 character spans at most 4 bytes, so at most 3 tokens hold part of one. */
const MAX_PARTIAL_TOKENS = 3

export function countTokens(text: string): number {
  return encode(text, NO_SPECIAL_TOKENS).length
}

/** The text of `tokens[from, to)` and whether its last character was cut off. */
function decodeWindow(tokens: number[], from: number, to: number): { text: string; cutAtEnd: boolean } {
  sharedDecoder.decode()
  const text = decode(tokens.slice(from, to))
  return { text, cutAtEnd: sharedDecoder.decode().length > 0 }
}

/**
 * Token windows of `size` cl100k_base tokens, each starting `size - overlap` tokens after the previous.
 * A window edge that would split a multi-byte character moves inwards by a token (at most 3), so no
 * chunk carries a broken character and none exceeds `size` tokens; otherwise the windows are exactly
 * those of a plain token splitter (e.g. LangChain's TokenTextSplitter).
 */
export function chunkText(text: string, size = CHUNK_TOKENS, overlap = CHUNK_OVERLAP_TOKENS): TextChunk[] {
  if (overlap >= size) throw new Error('overlap must be smaller than the chunk size')
  const tokens = encode(text, NO_SPECIAL_TOKENS)
  const chunks: TextChunk[] = []
  let start = 0
  while (start < tokens.length) {
    const gridEnd = Math.min(start + size, tokens.length)
    let end = gridEnd
    let window = decodeWindow(tokens, start, end)
    for (let i = 0; i < MAX_PARTIAL_TOKENS && end - start > 1 && window.cutAtEnd; i++) {
      end--
      window = decodeWindow(tokens, start, end)
    }
    let from = start
    for (let i = 0; i < MAX_PARTIAL_TOKENS && end - from > 1 && from > 0 && window.text.startsWith(REPLACEMENT); i++) {
      from++
      window = decodeWindow(tokens, from, end)
    }
    if (window.text.trim()) chunks.push({ content: window.text, tokenCount: end - from })
    if (end >= tokens.length) break
    // The next window starts on the regular grid, so one cut character does not shift every later chunk.
    start = Math.max(gridEnd - overlap, start + 1)
  }
  return chunks
}
