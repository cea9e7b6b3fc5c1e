import mammoth from 'mammoth'
import { Unreadable } from '../../errors'
import { MAX_DOCX_ENTRIES, MAX_DOCX_XML_BYTES } from '../limits'
import { type DocxPartLimits, type ReadObserver, readDocxParts, storedZip } from './zip'

const DOCX_LIMITS: DocxPartLimits = { maxXmlBytes: MAX_DOCX_XML_BYTES, maxEntries: MAX_DOCX_ENTRIES }

export async function docxToText(
  bytes: Uint8Array,
  limits: DocxPartLimits = DOCX_LIMITS,
  observer: ReadObserver = {},
): Promise<string> {
  try {
    // mammoth reads a new zip of the parts inflated and checked here, so it parses exactly the
    // bytes that were measured, whatever else the upload holds.
    const clean = storedZip(await readDocxParts(bytes, limits, observer))
    const arrayBuffer = clean.buffer as ArrayBuffer
    // mammoth's browser build (what workerd bundles) reads `arrayBuffer`, its Node build `buffer`.
    const input = { arrayBuffer, buffer: clean } as unknown as Parameters<typeof mammoth.extractRawText>[0]
    const result = await mammoth.extractRawText(input)
    return result.value
  } catch (error) {
    if (error instanceof Unreadable) throw error
    throw new Unreadable('The Word document is damaged or not a valid .docx file', { cause: error })
  }
}
