import { getDocumentProxy } from 'unpdf'
import { ExtractionLimitExceeded, Unreadable } from '../../errors'
import {
  EXTRACTION_TIME_LIMIT_MS,
  MAX_PDF_CMAP_ENTRIES,
  MAX_PDF_DECODED_BYTES,
  MAX_PDF_OPERATORS_PER_STREAM,
  MAX_PDF_PAGES,
} from '../limits'
import { assertPdfStreamsWithin } from './pdf-streams'
import { TextCollector } from './text'

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>
type TextContent = Awaited<ReturnType<Awaited<ReturnType<PdfDocument['getPage']>>['getTextContent']>>

interface PdfLimits {
  maxPages?: number
  timeLimitMs?: number
  maxDecodedBytes?: number
  maxOperatorsPerStream?: number
  maxCmapEntries?: number
  /** The time in milliseconds; tests pass one that jumps past the deadline on cue. */
  clock?: () => number
  /** Stops the extraction the moment the text passes its limit. */
  collector?: TextCollector
}

const tooSlow = () => new ExtractionLimitExceeded('Reading the PDF took too long; split it into smaller files')

/**
 * `work`, unless the deadline comes first: then `onTimeout` runs and the time-budget error is
 * thrown. The timer fires only when pdf.js awaits something outside its own promise chain; within
 * a page it does not (measured: no timer ran during 0.4 s of one page's text), which is why
 * `readPage` also checks the clock between the chunks of text pdf.js hands over.
 */
async function beforeDeadline<T>(work: Promise<T>, timeLeftMs: number, onTimeout: () => void = () => {}) {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        onTimeout()
        reject(tooSlow())
      },
      Math.max(0, timeLeftMs),
    )
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
    // The losing side may still fail (pdf.js rejects what a stopped page was doing).
    work.catch(() => {})
  }
}

/** Adds a page's text to `collector`, checking the time between chunks; `stop` ends the reading early. */
async function readPage(
  pdf: PdfDocument,
  n: number,
  collector: TextCollector,
  timeIsUp: () => boolean,
  stop: AbortSignal,
): Promise<void> {
  const page = await pdf.getPage(n)
  const reader = (page.streamTextContent() as ReadableStream<TextContent>).getReader()
  // Cancelling the stream terminates pdf.js's task for the page; without it, destroying the
  // document waits for that task to finish on its own.
  const cancel = () => reader.cancel(tooSlow()).catch(() => {})
  stop.addEventListener('abort', cancel)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      for (const item of value.items) {
        if (!('str' in item)) continue
        collector.add(item.str)
        if (item.hasEOL) collector.add('\n')
      }
      if (timeIsUp()) throw tooSlow()
    }
  } catch (error) {
    cancel()
    throw error
  } finally {
    stop.removeEventListener('abort', cancel)
    page.cleanup()
  }
}

/**
 * The text of a PDF, page by page, within budgets: what its streams unpack to and the operators of
 * each content stream (measured before pdf.js reads anything), pages, time and text.
 */
export async function pdfToText(bytes: Uint8Array, limits: PdfLimits = {}): Promise<string> {
  const maxPages = limits.maxPages ?? MAX_PDF_PAGES
  const clock = limits.clock ?? Date.now
  const deadline = clock() + (limits.timeLimitMs ?? EXTRACTION_TIME_LIMIT_MS)
  const timeIsUp = () => clock() > deadline
  assertPdfStreamsWithin(bytes, {
    maxDecodedBytes: limits.maxDecodedBytes ?? MAX_PDF_DECODED_BYTES,
    maxOperatorsPerStream: limits.maxOperatorsPerStream ?? MAX_PDF_OPERATORS_PER_STREAM,
    maxCmapEntries: limits.maxCmapEntries ?? MAX_PDF_CMAP_ENTRIES,
  })
  let pdf: PdfDocument
  try {
    // pdf.js takes ownership of the buffer it is given; hand it a copy.
    const opening = getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: true })
    pdf = await beforeDeadline(opening, deadline - clock(), () => {
      opening.then((late) => late.destroy()).catch(() => {})
    })
  } catch (error) {
    if (error instanceof Unreadable) throw error
    const name = error instanceof Error ? error.name : ''
    if (name === 'PasswordException')
      throw new Unreadable('The PDF is encrypted (password-protected)', { cause: error })
    throw new Unreadable('The PDF is damaged or not a valid PDF file', { cause: error })
  }
  try {
    if (pdf.numPages > maxPages) {
      throw new ExtractionLimitExceeded(
        `The PDF has ${pdf.numPages.toLocaleString('en-US')} pages; the limit is ${maxPages.toLocaleString('en-US')}: split it into smaller files`,
      )
    }
    const collector = limits.collector ?? new TextCollector()
    for (let n = 1; n <= pdf.numPages; n++) {
      if (timeIsUp()) throw tooSlow()
      if (n > 1) collector.add('\n\n')
      const stop = new AbortController()
      await beforeDeadline(readPage(pdf, n, collector, timeIsUp, stop.signal), deadline - clock(), () => stop.abort())
    }
    return collector.text()
  } catch (error) {
    if (error instanceof Unreadable) throw error
    throw new Unreadable('The PDF is damaged: its pages could not be read', { cause: error })
  } finally {
    // Frees pdf.js's worker state; a failure there changes nothing about the text, and no input
    // makes it fail (untested on purpose).
    await pdf.destroy().catch(() => {})
  }
}
