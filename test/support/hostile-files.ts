// Files built to hurt a document consumer: made in the test, so no large fixture is committed.

import { pdfOf } from './pdf.ts'

const ascii = (s: string) => new TextEncoder().encode(s)

/** `pattern` repeated until the result is `bytes` long (cut at the end). */
export function repeated(pattern: string, bytes: number): Uint8Array {
  const unit = ascii(pattern)
  const out = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i += unit.length) out.set(unit.subarray(0, Math.min(unit.length, bytes - i)), i)
  return out
}

/** A valid PDF of `pages` empty pages. */
export function emptyPagesPdf(pages: number): Uint8Array {
  return pdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${Array.from({ length: pages }, (_, i) => `${i + 4} 0 R`).join(' ')}] /Count ${pages} >>`,
    '<< /Length 0 >>\nstream\n\nendstream',
    ...Array.from({ length: pages }, () => '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>'),
  ])
}
