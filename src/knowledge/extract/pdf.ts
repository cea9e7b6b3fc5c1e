import { getDocumentProxy } from 'unpdf'
import { Unreadable } from '../../errors'
import { EXTRACTION_TIME_LIMIT_MS, MAX_PDF_PAGES } from '../limits'
import { TextCollector } from './text'

interface PdfLimits {
  maxPages?: number
  timeLimitMs?: number
  /** Stops the extraction the moment the text passes its limit. */
  collector?: TextCollector
}

/** The text of a PDF, page by page, within a page, time and text budget. */
export async function pdfToText(bytes: Uint8Array, limits: PdfLimits = {}): Promise<string> {
  const maxPages = limits.maxPages ?? MAX_PDF_PAGES
  const deadline = Date.now() + (limits.timeLimitMs ?? EXTRACTION_TIME_LIMIT_MS)
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>
  try {
    // pdf.js takes ownership of the buffer it is given; hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: true })
  } catch (error) {
    const name = error instanceof Error ? error.name : ''
    if (name === 'PasswordException')
      throw new Unreadable('The PDF is encrypted (password-protected)', { cause: error })
    throw new Unreadable('The PDF is damaged or not a valid PDF file', { cause: error })
  }
  try {
    if (pdf.numPages > maxPages) {
      throw new Unreadable(
        `The PDF has ${pdf.numPages.toLocaleString('en-US')} pages; the limit is ${maxPages.toLocaleString('en-US')}: split it into smaller files`,
      )
    }
    const collector = limits.collector ?? new TextCollector()
    for (let n = 1; n <= pdf.numPages; n++) {
      if (Date.now() > deadline) throw new Unreadable('Reading the PDF took too long; split it into smaller files')
      const page = await pdf.getPage(n)
      const content = await page.getTextContent()
      if (n > 1) collector.add('\n\n')
      for (const item of content.items) {
        if (!('str' in item)) continue
        collector.add(item.str)
        if (item.hasEOL) collector.add('\n')
      }
      page.cleanup()
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
