import mammoth from 'mammoth'
import { unreadable } from './errors'

export async function docxToText(bytes: Uint8Array): Promise<string> {
  try {
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    // mammoth's browser build (what workerd bundles) reads `arrayBuffer`, its Node build `buffer`.
    const input = { arrayBuffer, buffer: bytes } as unknown as Parameters<typeof mammoth.extractRawText>[0]
    const result = await mammoth.extractRawText(input)
    return result.value
  } catch (error) {
    throw unreadable('The Word document is damaged or not a valid .docx file', error)
  }
}
