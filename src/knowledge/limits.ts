/**
 * Budgets that keep one document inside a Worker's 128 MB and CPU limit (`limits.cpu_ms` in
 * wrangler.toml): every extractor is linear in its input and stops as soon as a budget is spent.
 */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024
/**
 * One upload request (several files, multipart overhead): the body is parsed in memory, so this
 * keeps it well inside a Worker's 128 MB. One file alone may still use the whole 25 MB.
 */
export const MAX_UPLOAD_REQUEST_BYTES = 30 * 1024 * 1024
export const MAX_PASTED_TEXT_CHARS = 1_000_000
/** A form with the pasted text: up to 9 bytes per character once URL-encoded (a 3-byte UTF-8 character as %XX%XX%XX). */
export const MAX_PASTED_TEXT_BODY_BYTES = MAX_PASTED_TEXT_CHARS * 9 + 64 * 1024
export const MAX_PDF_PAGES = 500
/**
 * What all of a PDF's streams may unpack to (every filter's output counted: pdf.js keeps each),
 * measured before pdf.js reads the file. Text-heavy PDFs of hundreds of pages stay well below.
 */
export const MAX_PDF_DECODED_BYTES = 50 * 1024 * 1024
/** Drawing operators in one content stream (a page or a form it draws); a dense page has tens of thousands. */
export const MAX_PDF_OPERATORS_PER_STREAM = 1_000_000
/**
 * Entries all of a PDF's CMaps (fonts' /Encoding and /ToUnicode) may map: pdf.js builds one per
 * code of each range, up to 16 M for a range of 30 bytes. A CJK font maps about 65,536 codes and
 * a document uses a handful of fonts (more share one CMap); a million entries costs pdf.js tens of MB.
 */
export const MAX_PDF_CMAP_ENTRIES = 1_000_000
/** Wall-clock budget for reading a PDF; the Worker's CPU limit is the hard stop behind it. */
export const EXTRACTION_TIME_LIMIT_MS = 30_000
/** About a million tokens: the chunks and their embeddings still fit in memory. */
export const MAX_EXTRACTED_CHARS = 4_000_000
/**
 * What a DOCX's XML and relationship parts (what mammoth parses into a tree) may unpack to in all.
 * Media is never unpacked (extract/zip.ts), so it needs no budget beyond the upload's own size.
 */
export const MAX_DOCX_XML_BYTES = 20 * 1024 * 1024
export const MAX_DOCX_ENTRIES = 5_000

/**
 * A document whose processing was cut off (the consumer ran out of CPU or memory, or died) this
 * many times ends in `error` instead of being tried again.
 */
export const MAX_PROCESSING_ATTEMPTS = 3
/** A document `processing` for longer than this has lost its consumer (CPU limit is 60 s). */
export const STALE_PROCESSING_MINUTES = 10

export const CHUNK_TOKENS = 500
export const CHUNK_OVERLAP_TOKENS = 50

/** OpenAI's limits for one embeddings request. */
export const EMBEDDING_MAX_INPUTS_PER_REQUEST = 2048
export const EMBEDDING_MAX_TOKENS_PER_REQUEST = 300_000
