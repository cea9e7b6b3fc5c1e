import { Unreadable } from '../../errors'

export interface UnpackLimits {
  /** All entries together. */
  maxTotalBytes: number
  /** Entries whose name ends in `.xml` or `.rels` (what a DOCX reader parses). */
  maxXmlBytes: number
  maxEntries: number
}

interface Entry {
  name: string
  method: number
  compressedSize: number
  declaredSize: number
  localHeaderOffset: number
}

const EOCD_SIGNATURE = 0x06054b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const STORED = 0
const DEFLATED = 8

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
const damaged = (cause?: unknown) => new Unreadable('The Word document is damaged or not a valid .docx file', { cause })

function centralDirectory(bytes: Uint8Array): Entry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // The end record is the last 22 bytes, unless a comment (≤ 65,535 bytes) follows it.
  let eocd = -1
  for (let i = bytes.byteLength - 22; i >= Math.max(0, bytes.byteLength - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw damaged()
  const count = view.getUint16(eocd + 10, true)
  const size = view.getUint32(eocd + 12, true)
  const offset = view.getUint32(eocd + 16, true)
  if (offset + size > bytes.byteLength) throw damaged()
  const entries: Entry[] = []
  let p = offset
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.byteLength || view.getUint32(p, true) !== CENTRAL_SIGNATURE) throw damaged()
    const nameLength = view.getUint16(p + 28, true)
    const extraLength = view.getUint16(p + 30, true)
    const commentLength = view.getUint16(p + 32, true)
    entries.push({
      method: view.getUint16(p + 10, true),
      compressedSize: view.getUint32(p + 20, true),
      declaredSize: view.getUint32(p + 24, true),
      localHeaderOffset: view.getUint32(p + 42, true),
      name: new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength)),
    })
    p += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

/** Inflates `data` only to count its bytes, giving up as soon as the count passes `budget`. */
async function inflatedSize(data: Uint8Array, budget: number): Promise<number> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'))
  const reader = stream.getReader()
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return total
      total += value.byteLength
      if (total > budget) return total
    }
  } catch (error) {
    throw damaged(error)
  } finally {
    // Cancelling a stream that already ended or errored may reject; there is nothing to undo.
    reader.cancel().catch(() => {})
  }
}

/**
 * Refuses a zip (DOCX) that would unpack to more than the limits: first by the sizes its
 * directory declares, then by really inflating each entry and counting, stopping at the limit,
 * so a lying directory does not help. Nothing inflated is kept.
 */
export async function assertUnpacksWithin(bytes: Uint8Array, limits: UnpackLimits): Promise<void> {
  const entries = centralDirectory(bytes)
  if (entries.length > limits.maxEntries) {
    throw new Unreadable(
      `The Word document holds more than ${limits.maxEntries.toLocaleString('en-US')} files (the limit)`,
    )
  }
  const tooBig = () =>
    new Unreadable(
      `The Word document unpacks to more than ${mb(limits.maxTotalBytes)} MB (the limit); remove large images or split it into smaller files`,
    )
  const tooMuchXml = () =>
    new Unreadable(
      `The Word document's text unpacks to more than ${mb(limits.maxXmlBytes)} MB (the limit); split it into smaller files`,
    )
  const isXml = (e: Entry) => /\.(xml|rels)$/i.test(e.name)
  const declaredTotal = entries.reduce((sum, e) => sum + e.declaredSize, 0)
  if (declaredTotal > limits.maxTotalBytes) throw tooBig()
  if (entries.filter(isXml).reduce((sum, e) => sum + e.declaredSize, 0) > limits.maxXmlBytes) throw tooMuchXml()

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let total = 0
  let xml = 0
  for (const entry of entries) {
    const local = entry.localHeaderOffset
    if (local + 30 > bytes.byteLength || view.getUint32(local, true) !== LOCAL_SIGNATURE) throw damaged()
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true)
    const dataEnd = dataStart + entry.compressedSize
    if (dataEnd > bytes.byteLength) throw damaged()
    const data = bytes.subarray(dataStart, dataEnd)
    const budget = Math.min(limits.maxTotalBytes - total, isXml(entry) ? limits.maxXmlBytes - xml : Infinity)
    let size: number
    if (entry.method === STORED) size = data.byteLength
    else if (entry.method === DEFLATED) size = await inflatedSize(data, budget)
    else throw new Unreadable('The Word document uses a compression method other than the standard one')
    total += size
    if (isXml(entry)) xml += size
    if (total > limits.maxTotalBytes) throw tooBig()
    if (xml > limits.maxXmlBytes) throw tooMuchXml()
  }
}
