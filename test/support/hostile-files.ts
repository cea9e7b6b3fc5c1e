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

async function deflateRaw(chunks: () => Iterable<Uint8Array>): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate-raw')
  const writing = (async () => {
    const writer = stream.writable.getWriter()
    for (const chunk of chunks()) await writer.write(chunk as Uint8Array<ArrayBuffer>)
    await writer.close()
  })()
  const parts: Uint8Array[] = []
  const reader = stream.readable.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parts.push(value)
  }
  await writing
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

interface ZipEntry {
  name: string
  /** The entry's content, given as chunks so that hundreds of megabytes never sit in memory. */
  chunks: () => Iterable<Uint8Array>
  /** What the directory claims the entry unpacks to (a lying zip claims less). */
  declaredSize?: number
}

/**
 * The fields a local header (from byte 4) and a central directory header (from byte 6) share, in
 * the same order: version needed, flags, method, time, date, CRC, sizes, name length.
 */
function writeEntryFields(view: DataView, at: number, compressedSize: number, size: number, nameLength: number) {
  view.setUint16(at, 20, true)
  view.setUint16(at + 4, 8, true) // deflate
  view.setUint32(at + 14, compressedSize, true)
  view.setUint32(at + 18, size, true)
  view.setUint16(at + 22, nameLength, true)
}

/** A zip of deflated entries (CRCs left 0: nothing here checks them). */
export async function zipOf(entries: ZipEntry[]): Promise<Uint8Array> {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  for (const entry of entries) {
    let size = 0
    for (const chunk of entry.chunks()) size += chunk.byteLength
    const data = await deflateRaw(entry.chunks)
    const name = ascii(entry.name)
    const local = new Uint8Array(30 + name.length + data.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    writeEntryFields(lv, 4, data.length, entry.declaredSize ?? size, name.length)
    local.set(name, 30)
    local.set(data, 30 + name.length)
    const central = new Uint8Array(46 + name.length)
    const cv = new DataView(central.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, 20, true) // version made by
    writeEntryFields(cv, 6, data.length, entry.declaredSize ?? size, name.length)
    cv.setUint32(42, offset, true)
    central.set(name, 46)
    locals.push(local)
    centrals.push(central)
    offset += local.length
  }
  const directorySize = centrals.reduce((n, c) => n + c.length, 0)
  const end = new Uint8Array(22)
  const ev = new DataView(end.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, entries.length, true)
  ev.setUint16(10, entries.length, true)
  ev.setUint32(12, directorySize, true)
  ev.setUint32(16, offset, true)
  const parts = [...locals, ...centrals, end]
  const out = new Uint8Array(offset + directorySize + 22)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function* zeros(bytes: number, chunk = 1024 * 1024) {
  const block = new Uint8Array(chunk)
  for (let left = bytes; left > 0; left -= chunk) yield left >= chunk ? block : block.subarray(0, left)
}

const DOCUMENT_XML = ascii(
  '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>',
)

/**
 * A DOCX whose `word/media/image1.png` unpacks to `unpackedBytes` of zeros (400 MB deflate to
 * about 400 KB). `lie` makes the directory claim a tiny size, so only inflating finds it out.
 */
export function docxBomb(unpackedBytes: number, options: { lie?: boolean; part?: string } = {}) {
  return zipOf([
    { name: 'word/document.xml', chunks: () => [DOCUMENT_XML] },
    {
      name: options.part ?? 'word/media/image1.png',
      chunks: () => zeros(unpackedBytes),
      declaredSize: options.lie ? 1024 : undefined,
    },
  ])
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
