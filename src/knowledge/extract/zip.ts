import { ExtractionLimitExceeded, Unreadable } from '../../errors'

/**
 * Reads a DOCX's zip once, strictly, and hands back the parts mammoth parses, inflated within a
 * budget. mammoth reads the zip with JSZip, which forgives a lot: it reads every directory header
 * while the signature matches (whatever the end record declares), keeps the last of two entries
 * with one name, and shifts every offset when the directory does not end at the end record. Any
 * file on which two zip readers could disagree is refused here, and mammoth is given a new zip
 * holding exactly the bytes inflated and checked here (`storedZip`), never the upload itself.
 */

export interface DocxPartLimits {
  /** The XML and relationship parts together, inflated: what mammoth parses into a tree. */
  maxXmlBytes: number
  maxEntries: number
}

export interface ReadObserver {
  /**
   * Called with the size of every block of a part as it is unpacked (a block the inflater hands
   * back, or a stored part's bytes), before it is checked: what the budget holds, as tests count it.
   */
  onUnpack?: (bytes: number) => void
}

export interface ZipPart {
  name: string
  bytes: Uint8Array
  crc32: number
}

interface Entry {
  name: string
  nameBytes: Uint8Array
  flags: number
  method: number
  crc32: number
  compressedSize: number
  size: number
  localHeaderOffset: number
  isDirectory: boolean
}

const END_SIGNATURE = 0x06054b50
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const DESCRIPTOR_SIGNATURE = 0x08074b50
const END_SIZE = 22
const CENTRAL_SIZE = 46
const LOCAL_SIZE = 30
const MAX_COMMENT = 0xffff
const STORED = 0
const DEFLATED = 8
const FLAG_ENCRYPTED = 0x0001
const FLAG_DATA_DESCRIPTOR = 0x0008
const FLAG_UTF8_NAME = 0x0800
/** Deflate's level hints (bits 1–2), the data descriptor and UTF-8 names: all Word and other writers set. */
const KNOWN_FLAGS = 0x0006 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8_NAME
const EXTRA_ZIP64 = 0x0001
/** Info-ZIP's Unicode path: JSZip takes the entry's name from it instead of the header. */
const EXTRA_UNICODE_PATH = 0x7075
const DOS_DIRECTORY = 0x10
const UNIX_DIRECTORY = 0x4000
const MADE_BY_UNIX = 3

const DAMAGED = 'The Word document is damaged or not a valid .docx file'
const damaged = (reason: string, cause?: unknown) => new Unreadable(`${DAMAGED}: ${reason}`, { cause })
const unsupported = (feature: string) =>
  new Unreadable(`The Word document uses a zip feature Word does not write (${feature}); save it again from Word`)
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

/** The parts mammoth parses; media and other binaries are never inflated. */
export const isXmlPart = (name: string) => /\.(xml|rels)$/i.test(name)

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * The one end record. JSZip takes the last end signature in the file, so that signature must be
 * the only record whose comment ends exactly at the end of the file.
 */
function endRecord(view: DataView) {
  const length = view.byteLength
  const candidates: number[] = []
  let last = -1
  for (let at = length - 4; at >= Math.max(0, length - END_SIZE - MAX_COMMENT); at--) {
    if (view.getUint32(at, true) !== END_SIGNATURE) continue
    if (last < 0) last = at
    if (at + END_SIZE <= length && at + END_SIZE + view.getUint16(at + 20, true) === length) candidates.push(at)
  }
  if (last < 0) throw damaged('it has no zip directory')
  if (candidates[0] !== last) throw damaged('its zip comment does not reach the end of the file')
  if (candidates.length > 1) throw damaged('it has more than one end-of-directory record')
  const at = last
  const record = {
    at,
    disk: view.getUint16(at + 4, true),
    directoryDisk: view.getUint16(at + 6, true),
    entriesOnDisk: view.getUint16(at + 8, true),
    entries: view.getUint16(at + 10, true),
    directorySize: view.getUint32(at + 12, true),
    directoryOffset: view.getUint32(at + 16, true),
  }
  const { disk, directoryDisk, entriesOnDisk, entries, directorySize, directoryOffset } = record
  if ([disk, directoryDisk, entriesOnDisk, entries].includes(0xffff)) throw unsupported('ZIP64')
  if (directorySize === 0xffffffff || directoryOffset === 0xffffffff) throw unsupported('ZIP64')
  if (at >= 20 && view.getUint32(at - 20, true) === ZIP64_LOCATOR_SIGNATURE) throw unsupported('ZIP64')
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== entries) throw unsupported('split across disks')
  if (directoryOffset + directorySize !== at) throw damaged('its zip directory does not end where its end record says')
  return record
}

/**
 * Refuses extra fields that do not exactly fill their space, and the two that change how a reader
 * sizes or names the entry.
 */
function checkExtraFields(view: DataView, start: number, end: number) {
  for (let at = start; at < end; ) {
    if (at + 4 > end) throw damaged('an extra field is cut short')
    const id = view.getUint16(at, true)
    const size = view.getUint16(at + 2, true)
    if (at + 4 + size > end) throw damaged('an extra field is cut short')
    if (id === EXTRA_ZIP64) throw unsupported('ZIP64')
    if (id === EXTRA_UNICODE_PATH) throw unsupported('a second, Unicode file name')
    at += 4 + size
  }
}

const NAME_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The entry's name, refused when JSZip would read it as another name: `.` and `..` segments and
 * doubled slashes are resolved away by JSZip, so `word/./document.xml` would replace `word/document.xml`.
 */
function entryName(nameBytes: Uint8Array): string {
  let name: string
  try {
    name = NAME_DECODER.decode(nameBytes)
  } catch (error) {
    throw damaged('a file name is not valid UTF-8', error)
  }
  const segments = name.replaceAll('\\', '/').split('/')
  const isOdd = (segment: string, i: number) =>
    segment === '.' || segment === '..' || (segment === '' && i !== segments.length - 1)
  if (name === '' || name.includes('\0') || segments.some(isOdd)) throw damaged('a file name is not a plain path')
  return name
}

/** Two names a reader could take for one: compared case-insensitively, `\` as `/`. */
const nameKey = (name: string) => name.replaceAll('\\', '/').normalize('NFC').toLowerCase()

function centralDirectory(bytes: Uint8Array, view: DataView, end: ReturnType<typeof endRecord>): Entry[] {
  const entries: Entry[] = []
  const seen = new Set<string>()
  let at = end.directoryOffset
  for (let n = 0; n < end.entries; n++) {
    if (at + CENTRAL_SIZE > end.at || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw damaged('its zip directory holds fewer entries than it declares')
    }
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength
    if (next > end.at) throw damaged('its zip directory holds fewer entries than it declares')
    const madeBy = view.getUint16(at + 4, true) >> 8
    const flags = view.getUint16(at + 8, true)
    const method = view.getUint16(at + 10, true)
    const compressedSize = view.getUint32(at + 20, true)
    const size = view.getUint32(at + 24, true)
    const disk = view.getUint16(at + 34, true)
    const attributes = view.getUint32(at + 38, true)
    const localHeaderOffset = view.getUint32(at + 42, true)
    if ([compressedSize, size, localHeaderOffset].includes(0xffffffff) || disk === 0xffff) throw unsupported('ZIP64')
    if (disk !== 0) throw unsupported('split across disks')
    if (flags & FLAG_ENCRYPTED) {
      throw new Unreadable(
        'The Word document is encrypted (password-protected); remove the password and upload it again',
      )
    }
    if (flags & ~KNOWN_FLAGS) throw unsupported(`flags 0x${flags.toString(16)}`)
    if (method !== STORED && method !== DEFLATED) throw unsupported(`compression method ${method}`)
    const nameBytes = bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength)
    checkExtraFields(view, at + CENTRAL_SIZE + nameLength, at + CENTRAL_SIZE + nameLength + extraLength)
    const name = entryName(nameBytes)
    // JSZip takes an entry for a folder by its attributes as well as by a trailing slash.
    const isDirectory = name.endsWith('/')
    const markedDirectory =
      (attributes & DOS_DIRECTORY) !== 0 || (madeBy === MADE_BY_UNIX && ((attributes >>> 16) & UNIX_DIRECTORY) !== 0)
    if (markedDirectory && !isDirectory) throw damaged('a file is marked as a folder')
    if (isDirectory && (size !== 0 || compressedSize !== 0)) throw damaged('a folder holds data')
    const key = nameKey(name)
    if (seen.has(key)) throw damaged('two files have the same name')
    seen.add(key)
    entries.push({
      name,
      nameBytes,
      flags,
      method,
      crc32: view.getUint32(at + 16, true),
      compressedSize,
      size,
      localHeaderOffset,
      isDirectory,
    })
    at = next
  }
  if (at !== end.at) {
    throw damaged(
      view.getUint32(at, true) === CENTRAL_SIGNATURE
        ? 'its zip directory holds more entries than it declares'
        : 'its zip directory holds bytes that are not entries',
    )
  }
  return entries
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i])

/** Where the entry's data starts and where the entry (with its data descriptor) ends. */
function localSpan(bytes: Uint8Array, view: DataView, entry: Entry, directoryOffset: number) {
  const at = entry.localHeaderOffset
  if (at + LOCAL_SIZE > directoryOffset || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
    throw damaged('an entry is missing its local header')
  }
  const nameLength = view.getUint16(at + 26, true)
  const extraLength = view.getUint16(at + 28, true)
  const dataStart = at + LOCAL_SIZE + nameLength + extraLength
  const dataEnd = dataStart + entry.compressedSize
  if (dataEnd > directoryOffset) throw damaged("an entry's data runs into the zip directory")
  const disagrees =
    view.getUint16(at + 6, true) !== entry.flags ||
    view.getUint16(at + 8, true) !== entry.method ||
    !sameBytes(bytes.subarray(at + LOCAL_SIZE, at + LOCAL_SIZE + nameLength), entry.nameBytes)
  if (disagrees) throw damaged("an entry's local header disagrees with the zip directory")
  checkExtraFields(view, at + LOCAL_SIZE + nameLength, dataStart)
  const sizes = (from: number) => [
    view.getUint32(from, true),
    view.getUint32(from + 4, true),
    view.getUint32(from + 8, true),
  ]
  const declared = [entry.crc32, entry.compressedSize, entry.size]
  const local = sizes(at + 14)
  let end = dataEnd
  if (entry.flags & FLAG_DATA_DESCRIPTOR) {
    // The local header may leave CRC and sizes 0; the descriptor after the data carries them.
    if (local.some((value, i) => value !== 0 && value !== declared[i])) {
      throw damaged("an entry's local header disagrees with the zip directory")
    }
    const matches = (from: number) => from + 12 <= directoryOffset && sizes(from).every((v, i) => v === declared[i])
    if (end + 16 <= directoryOffset && view.getUint32(end, true) === DESCRIPTOR_SIGNATURE && matches(end + 4)) end += 16
    else if (matches(end)) end += 12
    else throw damaged("an entry's data descriptor disagrees with the zip directory")
  } else if (local.some((value, i) => value !== declared[i])) {
    throw damaged("an entry's local header disagrees with the zip directory")
  }
  return { start: at, dataStart, end }
}

/**
 * Inflates `data` as a stream, stopping at the first block past the entry's declared size (which
 * the caller has already held to the budget), and checks that it reached that size exactly.
 */
async function inflate(entry: Entry, data: Uint8Array, observer: ReadObserver): Promise<Uint8Array> {
  const out = new Uint8Array(entry.size)
  let length = 0
  const reader = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'))
    .getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      observer.onUnpack?.(value.byteLength)
      if (length + value.byteLength > entry.size) throw damaged('a file unpacks to more than its declared size')
      out.set(value, length)
      length += value.byteLength
    }
  } catch (error) {
    if (error instanceof Unreadable) throw error
    throw damaged("a file's compressed data is corrupt", error)
  } finally {
    // Cancelling a stream that already ended or errored may reject; there is nothing to undo.
    reader.cancel().catch(() => {})
  }
  if (length !== entry.size) throw damaged('a file unpacks to less than its declared size')
  return out
}

/**
 * The XML and relationship parts of a DOCX, inflated and checked (size, CRC-32), after the whole
 * zip passed the strict reading above. Media is never inflated, so no budget is kept for it: a
 * picture's size costs nothing but the upload's own bytes.
 */
export async function readDocxParts(
  bytes: Uint8Array,
  limits: DocxPartLimits,
  observer: ReadObserver = {},
): Promise<ZipPart[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = endRecord(view)
  if (end.entries > limits.maxEntries) {
    throw new ExtractionLimitExceeded(
      `The Word document holds more than ${limits.maxEntries.toLocaleString('en-US')} files (the limit)`,
    )
  }
  const entries = centralDirectory(bytes, view, end)
  const spans = entries
    .map((entry) => ({ entry, ...localSpan(bytes, view, entry, end.directoryOffset) }))
    .sort((a, b) => a.start - b.start)
  // Entries back to back from byte 0 to the directory: nothing prepended, hidden between or shared.
  let expected = 0
  for (const span of spans) {
    if (span.start < expected) throw damaged('two entries overlap')
    if (span.start > expected)
      throw damaged(expected === 0 ? 'it has bytes before its first entry' : 'it has bytes between its entries')
    expected = span.end
  }
  if (expected !== end.directoryOffset) throw damaged('it has bytes before its zip directory')

  const wanted = spans.filter(({ entry }) => !entry.isDirectory && isXmlPart(entry.name))
  const declared = wanted.reduce((sum, { entry }) => sum + entry.size, 0)
  if (declared > limits.maxXmlBytes) {
    throw new ExtractionLimitExceeded(
      `The Word document's text unpacks to more than ${mb(limits.maxXmlBytes)} MB (the limit); split it into smaller files`,
    )
  }
  const parts: ZipPart[] = []
  for (const { entry, dataStart } of wanted) {
    const data = bytes.subarray(dataStart, dataStart + entry.compressedSize)
    let content: Uint8Array
    if (entry.method === STORED) {
      if (entry.compressedSize !== entry.size) throw damaged('a stored file has two sizes')
      observer.onUnpack?.(data.length)
      content = data.slice()
    } else content = await inflate(entry, data, observer)
    const checksum = crc32(content)
    if (checksum !== entry.crc32) throw damaged("a file's data does not match its checksum")
    parts.push({ name: entry.name, bytes: content, crc32: checksum })
  }
  return parts
}

/** A new zip of `parts`, stored (not compressed): what mammoth reads instead of the upload. */
export function storedZip(parts: readonly ZipPart[]): Uint8Array {
  const encoder = new TextEncoder()
  const names = parts.map((part) => encoder.encode(part.name))
  const localsSize = parts.reduce((sum, part, i) => sum + LOCAL_SIZE + names[i]!.length + part.bytes.length, 0)
  const directorySize = names.reduce((sum, name) => sum + CENTRAL_SIZE + name.length, 0)
  const out = new Uint8Array(localsSize + directorySize + END_SIZE)
  const view = new DataView(out.buffer)
  /** The fields local (from byte 4) and central (from byte 6) headers share, in the same order. */
  const writeShared = (at: number, part: ZipPart, nameLength: number) => {
    view.setUint16(at, 20, true) // version needed: 2.0
    view.setUint16(at + 2, FLAG_UTF8_NAME, true)
    view.setUint16(at + 4, STORED, true)
    view.setUint16(at + 8, 0x21, true) // 1980-01-01, the earliest DOS date
    view.setUint32(at + 10, part.crc32, true)
    view.setUint32(at + 14, part.bytes.length, true)
    view.setUint32(at + 18, part.bytes.length, true)
    view.setUint16(at + 22, nameLength, true)
  }
  let local = 0
  let central = localsSize
  parts.forEach((part, i) => {
    const name = names[i]!
    view.setUint32(local, LOCAL_SIGNATURE, true)
    writeShared(local + 4, part, name.length)
    out.set(name, local + LOCAL_SIZE)
    out.set(part.bytes, local + LOCAL_SIZE + name.length)
    view.setUint32(central, CENTRAL_SIGNATURE, true)
    view.setUint16(central + 4, 20, true) // made by: MS-DOS, 2.0
    writeShared(central + 6, part, name.length)
    view.setUint32(central + 42, local, true)
    out.set(name, central + CENTRAL_SIZE)
    local += LOCAL_SIZE + name.length + part.bytes.length
    central += CENTRAL_SIZE + name.length
  })
  view.setUint32(central, END_SIGNATURE, true)
  view.setUint16(central + 8, parts.length, true)
  view.setUint16(central + 10, parts.length, true)
  view.setUint32(central + 12, directorySize, true)
  view.setUint32(central + 16, localsSize, true)
  return out
}
