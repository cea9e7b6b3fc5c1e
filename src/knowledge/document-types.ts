import { DOCUMENT_TYPES, type DocumentType } from './file-types'

/** The type recorded at upload (as its canonical media type) back to the extractor to use. */
export function documentTypeOf(contentType: string | null): DocumentType | null {
  const entry = Object.entries(DOCUMENT_TYPES).find(([, mime]) => mime === contentType)
  return entry ? (entry[0] as DocumentType) : null
}
