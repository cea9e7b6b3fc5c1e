import mammoth from 'mammoth'
import { Unreadable } from '../../errors'
import { MAX_DOCX_ENTRIES, MAX_DOCX_UNPACKED_BYTES, MAX_DOCX_XML_BYTES } from '../limits'
import { assertUnpacksWithin, type UnpackLimits } from './zip'

const DOCX_LIMITS: UnpackLimits = {
  maxTotalBytes: MAX_DOCX_UNPACKED_BYTES,
  maxXmlBytes: MAX_DOCX_XML_BYTES,
  maxEntries: MAX_DOCX_ENTRIES,
}

export async function docxToText(bytes: Uint8Array, limits: UnpackLimits = DOCX_LIMITS): Promise<string> {
  try {
    // mammoth inflates everything it reads into memory: measure what that would be first.
    await assertUnpacksWithin(bytes, limits)
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    // mammoth's browser build (what workerd bundles) reads `arrayBuffer`, its Node build `buffer`.
    const input = { arrayBuffer, buffer: bytes } as unknown as Parameters<typeof mammoth.extractRawText>[0]
    const result = await mammoth.extractRawText(input)
    return result.value
  } catch (error) {
    if (error instanceof Unreadable) throw error
    throw new Unreadable('The Word document is damaged or not a valid .docx file', { cause: error })
  }
}
