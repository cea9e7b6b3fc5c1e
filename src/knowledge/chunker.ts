// The encoding's published rank table (token id → its text, or its bytes when they are not UTF-8 on
// their own): what each token spans in the text's UTF-8, without the library's stateful decoder.
import cl100kRanks from 'gpt-tokenizer/bpeRanks/cl100k_base'
import { encode } from 'gpt-tokenizer/encoding/cl100k_base'
import { CHUNK_OVERLAP_TOKENS, CHUNK_TOKENS } from './limits'

export interface TextChunk {
  content: string
  tokenCount: number
}

const NO_SPECIAL_TOKENS = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() }
/** A UTF-8 character spans at most 4 bytes, so at most 3 tokens hold part of one. */
const MAX_PARTIAL_TOKENS = 3
const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function countTokens(text: string): number {
  return encode(text, NO_SPECIAL_TOKENS).length
}

function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/** Where each token starts in the text's UTF-8 bytes (and, last, where the text ends). */
function tokenByteOffsets(tokens: number[], totalBytes: number): Uint32Array {
  const offsets = new Uint32Array(tokens.length + 1)
  for (let i = 0; i < tokens.length; i++) {
    const rank = cl100kRanks[tokens[i]!]
    if (rank === undefined) throw new Error(`token ${tokens[i]} is not in the cl100k_base rank table`)
    offsets[i + 1] = offsets[i]! + (typeof rank === 'string' ? utf8Length(rank) : rank.length)
  }
  if (offsets[tokens.length] !== totalBytes) throw new Error('the tokens do not span the text')
  return offsets
}

/** A UTF-8 continuation byte (10xxxxxx): a character started before it. */
const continuesCharacter = (bytes: Uint8Array, at: number) => at < bytes.length && (bytes[at]! & 0xc0) === 0x80

/**
 * Token windows of `size` cl100k_base tokens, each starting `size - overlap` tokens after the previous.
 * A window edge that would split a multi-byte character moves inwards by a token (at most 3), so no
 * chunk carries a broken character and none exceeds `size` tokens; otherwise the windows are exactly
 * those of a plain token splitter (e.g. LangChain's TokenTextSplitter). Each chunk is the text's own
 * bytes between its window's edges, decoded on its own.
 */
export function chunkText(text: string, size = CHUNK_TOKENS, overlap = CHUNK_OVERLAP_TOKENS): TextChunk[] {
  if (overlap >= size) throw new Error('overlap must be smaller than the chunk size')
  const tokens = encode(text, NO_SPECIAL_TOKENS)
  const bytes = utf8.encode(text)
  const offsets = tokenByteOffsets(tokens, bytes.length)
  const cutAt = (token: number) => continuesCharacter(bytes, offsets[token]!)
  const chunks: TextChunk[] = []
  let start = 0
  while (start < tokens.length) {
    const gridEnd = Math.min(start + size, tokens.length)
    let end = gridEnd
    for (let i = 0; i < MAX_PARTIAL_TOKENS && end - start > 1 && cutAt(end); i++) end--
    let from = start
    for (let i = 0; i < MAX_PARTIAL_TOKENS && end - from > 1 && cutAt(from); i++) from++
    if (!cutAt(from) && !cutAt(end)) {
      const content = utf8Decoder.decode(bytes.subarray(offsets[from], offsets[end]))
      if (content.trim()) chunks.push({ content, tokenCount: end - from })
    }
    if (end >= tokens.length) break
    // The next window starts on the regular grid, so one cut character does not shift every later chunk.
    start = Math.max(gridEnd - overlap, start + 1)
  }
  return chunks
}
