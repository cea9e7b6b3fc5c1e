import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base'
import { CHUNK_OVERLAP_TOKENS, CHUNK_TOKENS } from './limits'

export interface TextChunk {
  content: string
  tokenCount: number
}

const NO_SPECIAL_TOKENS = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() }
const REPLACEMENT = '\uFFFD'

export function countTokens(text: string): number {
  return encode(text, NO_SPECIAL_TOKENS).length
}

/**
 * Token windows of `size` cl100k_base tokens, each starting `size - overlap` tokens after the previous.
 * A window edge that would split a multi-byte character moves inwards by a token, so no chunk
 * carries a broken character and none exceeds `size` tokens.
 */
export function chunkText(text: string, size = CHUNK_TOKENS, overlap = CHUNK_OVERLAP_TOKENS): TextChunk[] {
  if (overlap >= size) throw new Error('overlap must be smaller than the chunk size')
  const tokens = encode(text, NO_SPECIAL_TOKENS)
  const chunks: TextChunk[] = []
  let start = 0
  while (start < tokens.length) {
    let end = Math.min(start + size, tokens.length)
    let content = decode(tokens.slice(start, end))
    // A UTF-8 character spans at most 4 bytes, so at most 3 tokens hold a partial one.
    for (let i = 0; i < 3 && end - start > 1 && end < tokens.length && content.endsWith(REPLACEMENT); i++) {
      end--
      content = decode(tokens.slice(start, end))
    }
    let from = start
    for (let i = 0; i < 3 && end - from > 1 && from > 0 && content.startsWith(REPLACEMENT); i++) {
      from++
      content = decode(tokens.slice(from, end))
    }
    if (content.trim()) chunks.push({ content, tokenCount: end - from })
    if (end >= tokens.length) break
    start = Math.max(end - overlap, start + 1)
  }
  return chunks
}
