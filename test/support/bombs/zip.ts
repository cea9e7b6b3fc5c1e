// DOCX zips built to make two zip readers disagree, or to break a budget: each is a valid DOCX
// with one thing changed, made in the test so that no hostile file is committed. The writer does
// not use src/knowledge/extract/zip.ts, so the reader is checked against a zip it did not write.

import { concatBytes } from '../bytes.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

/** Byte offsets of the fields the bombs change, from the start of each record. */
export const LOCAL = { flags: 6, method: 8, crc: 14, compressedSize: 18, size: 22, nameLength: 26 } as const
export const CENTRAL = {
  madeBy: 4,
  flags: 8,
  method: 10,
  crc: 16,
  compressedSize: 20,
  size: 24,
  nameLength: 28,
  disk: 34,
  attributes: 38,
  localOffset: 42,
} as const
export const END = {
  disk: 4,
  directoryDisk: 6,
  entriesOnDisk: 8,
  entries: 10,
  directorySize: 12,
  directoryOffset: 16,
  commentLength: 20,
} as const

export const u16 = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint16(at, true)
export const u32 = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true)
export function setU16(bytes: Uint8Array, at: number, value: number) {
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(at, value, true)
}
export function setU32(bytes: Uint8Array, at: number, value: number) {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value >>> 0, true)
}

/** CRC-32 (IEEE) over chunks. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(chunks: Iterable<Uint8Array>): number {
  let crc = 0xffffffff
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) crc = CRC_TABLE[(crc ^ chunk[i]!) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

async function deflateRaw(chunks: Iterable<Uint8Array>): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate-raw')
  const writing = (async () => {
    const writer = stream.writable.getWriter()
    for (const chunk of chunks) await writer.write(chunk as Uint8Array<ArrayBuffer>)
    await writer.close()
  })()
  const compressed = new Uint8Array(await new Response(stream.readable).arrayBuffer())
  await writing
  return compressed
}

export interface PartSpec {
  name: string
  /** The content, or chunks of it, so that a large part never sits in memory whole. */
  content: string | Uint8Array | (() => Iterable<Uint8Array>)
  stored?: boolean
  /** What both headers claim the part unpacks to (a lying zip claims less). */
  declaredSize?: number
  /** Extra field, written in the local and the central header. */
  extra?: Uint8Array
  /** CRC and sizes in a data descriptor after the data (zeros in the local header), as Java writes. */
  dataDescriptor?: boolean
  /** External attributes and the "made by" system (MS-DOS 0, Unix 3) in the central header. */
  attributes?: number
  madeBy?: number
}

export interface EntryLayout {
  name: string
  local: number
  dataStart: number
  dataEnd: number
  central: number
}

export interface ZipLayout {
  bytes: Uint8Array
  entries: EntryLayout[]
  directory: number
  end: number
}

function chunksOf(content: PartSpec['content']): () => Iterable<Uint8Array> {
  if (typeof content === 'function') return content
  const bytes = typeof content === 'string' ? utf8(content) : content
  return () => [bytes]
}

/** A zip of `parts`, with each record's offset, so a bomb can change one field of a valid file. */
export async function zipLayout(
  parts: readonly PartSpec[],
  options: { comment?: Uint8Array } = {},
): Promise<ZipLayout> {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  const entries: EntryLayout[] = []
  let offset = 0
  for (const part of parts) {
    const chunks = chunksOf(part.content)
    let size = 0
    for (const chunk of chunks()) size += chunk.byteLength
    const crc = crc32(chunks())
    const data = part.stored ? concatBytes([...chunks()]) : await deflateRaw(chunks())
    const name = utf8(part.name)
    const extra = part.extra ?? new Uint8Array(0)
    const flags = 0x0800 | (part.dataDescriptor ? 0x0008 : 0)
    const fields = (view: DataView, at: number, inLocal: boolean) => {
      const hidden = inLocal && part.dataDescriptor
      view.setUint16(at, 20, true)
      view.setUint16(at + 2, flags, true)
      view.setUint16(at + 4, part.stored ? 0 : 8, true)
      view.setUint16(at + 8, 0x21, true)
      view.setUint32(at + 10, hidden ? 0 : crc, true)
      view.setUint32(at + 14, hidden ? 0 : data.length, true)
      view.setUint32(at + 18, hidden ? 0 : (part.declaredSize ?? size), true)
      view.setUint16(at + 22, name.length, true)
      view.setUint16(at + 24, extra.length, true)
    }
    const local = new Uint8Array(30 + name.length + extra.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    fields(lv, 4, true)
    local.set(name, 30)
    local.set(extra, 30 + name.length)
    const descriptor = new Uint8Array(part.dataDescriptor ? 16 : 0)
    if (part.dataDescriptor) {
      const dv = new DataView(descriptor.buffer)
      dv.setUint32(0, 0x08074b50, true)
      dv.setUint32(4, crc, true)
      dv.setUint32(8, data.length, true)
      dv.setUint32(12, part.declaredSize ?? size, true)
    }
    const central = new Uint8Array(46 + name.length + extra.length)
    const cv = new DataView(central.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, ((part.madeBy ?? 0) << 8) | 20, true)
    fields(cv, 6, false)
    cv.setUint32(38, part.attributes ?? 0, true)
    cv.setUint32(42, offset, true)
    central.set(name, 46)
    central.set(extra, 46 + name.length)
    const directoryBefore = centrals.reduce((n, c) => n + c.length, 0)
    entries.push({
      name: part.name,
      local: offset,
      dataStart: offset + local.length,
      dataEnd: offset + local.length + data.length,
      central: directoryBefore,
    })
    locals.push(local, data, descriptor)
    centrals.push(central)
    offset += local.length + data.length + descriptor.length
  }
  const directorySize = centrals.reduce((n, c) => n + c.length, 0)
  const comment = options.comment ?? new Uint8Array(0)
  const end = new Uint8Array(22 + comment.length)
  const ev = new DataView(end.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, parts.length, true)
  ev.setUint16(10, parts.length, true)
  ev.setUint32(12, directorySize, true)
  ev.setUint32(16, offset, true)
  ev.setUint16(20, comment.length, true)
  end.set(comment, 22)
  for (const entry of entries) entry.central += offset
  return { bytes: concatBytes([...locals, ...centrals, end]), entries, directory: offset, end: offset + directorySize }
}

export async function zipOfParts(parts: readonly PartSpec[]): Promise<Uint8Array> {
  return (await zipLayout(parts)).bytes
}

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'

export const paragraph = (text: string) => `<w:p><w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`
export const documentXml = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}" xmlns:r="${R}"><w:body>${body}</w:body></w:document>`

/** A picture in a paragraph, as Word writes it: the text reader skips it, it never reads the file. */
const PICTURE =
  '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:docPr id="1" name="Picture 1" descr="A logo"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:blipFill><a:blip r:embed="rIdImage1"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'

/** A 1×1 PNG. */
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
)

export const VISIBLE_TEXT = 'Every new hire receives a laptop on day one.'

/** The parts of a small DOCX with text and a picture, as Word names them. */
export function docxParts(text = VISIBLE_TEXT): PartSpec[] {
  return [
    {
      name: '[Content_Types].xml',
      content: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    },
    {
      name: '_rels/.rels',
      content: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${R}/officeDocument" Target="word/document.xml"/></Relationships>`,
    },
    { name: 'word/document.xml', content: documentXml(paragraph(text) + PICTURE) },
    {
      name: 'word/_rels/document.xml.rels',
      content: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="${RELS}"><Relationship Id="rIdImage1" Type="${R}/image" Target="media/image1.png"/></Relationships>`,
    },
    { name: 'word/media/image1.png', content: PNG, stored: true },
  ]
}

export const docxWithPicture = () => zipOfParts(docxParts())

/** `unit` repeated to `bytes` (cut at the end), in chunks of about 1 MB. */
function* repeatedChunks(unit: string, bytes: number) {
  const block = utf8(unit.repeat(Math.ceil((1024 * 1024) / unit.length)))
  for (let left = bytes; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left)
}

/** A `word/document.xml` of `bytes`: one long paragraph of `word`, which deflates about 1000:1. */
function documentOfSize(word: string, bytes: number): () => Iterable<Uint8Array> {
  const head = utf8(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${W}"><w:body><w:p><w:r><w:t>`)
  const tail = utf8('</w:t></w:r></w:p></w:body></w:document>')
  return function* () {
    yield head
    yield* repeatedChunks(`${word} `, bytes - head.length - tail.length)
    yield tail
  }
}

export const HIDDEN_WORD = 'hidden'

/**
 * Issue 21's reproduction: a second `word/document.xml` after the first, in the directory but not
 * counted by the end record. A reader that trusts the count never sees it; JSZip reads it, keeps it
 * over the first (the last of one name wins) and inflates all of it.
 */
export async function uncountedSecondDocument(hiddenBytes: number): Promise<Uint8Array> {
  const parts = [...docxParts(), { name: 'word/document.xml', content: documentOfSize(HIDDEN_WORD, hiddenBytes) }]
  const { bytes, end } = await zipLayout(parts)
  setU16(bytes, end + END.entriesOnDisk, parts.length - 1)
  setU16(bytes, end + END.entries, parts.length - 1)
  return bytes
}

/** The end record declares one entry more than the directory holds. */
export async function overcountedDirectory(): Promise<Uint8Array> {
  const { bytes, end } = await zipLayout(docxParts())
  setU16(bytes, end + END.entriesOnDisk, 6)
  setU16(bytes, end + END.entries, 6)
  return bytes
}

/**
 * Bytes before the zip, offsets unchanged: the directory no longer ends at the end record, and
 * JSZip shifts every offset by the difference ("extra bytes", as in a browser extension's .crx).
 */
export async function prependedBytes(): Promise<Uint8Array> {
  const { bytes } = await zipLayout(docxParts())
  return concatBytes([utf8('#!/bin/sh\nexit 0\n'), bytes])
}

/** Bytes before the first entry with every offset moved to match (a self-extracting archive's stub). */
export async function stubBeforeFirstEntry(): Promise<Uint8Array> {
  const stub = utf8('MZ self-extracting stub\n')
  const { bytes, entries, end } = await zipLayout(docxParts())
  for (const entry of entries) setU32(bytes, entry.central + CENTRAL.localOffset, entry.local + stub.length)
  setU32(bytes, end + END.directoryOffset, u32(bytes, end + END.directoryOffset) + stub.length)
  return concatBytes([stub, bytes])
}

/** A second, complete end record inside the first one's comment: JSZip takes the later. */
export async function twoEndRecords(): Promise<Uint8Array> {
  const plain = await zipLayout(docxParts())
  const inner = plain.bytes.slice(plain.end)
  return (await zipLayout(docxParts(), { comment: inner })).bytes
}

/** Bytes after the end record that its comment length does not cover. */
export async function bytesAfterEndRecord(): Promise<Uint8Array> {
  return concatBytes([await docxWithPicture(), utf8('trailing bytes')])
}

export async function splitAcrossDisks(): Promise<Uint8Array> {
  const { bytes, end } = await zipLayout(docxParts())
  setU16(bytes, end + END.disk, 1)
  setU16(bytes, end + END.directoryDisk, 1)
  return bytes
}

/** A second document whose name differs from `word/document.xml` only as `spelling` says. */
export async function duplicateName(spelling: 'exact' | 'case' | 'backslash'): Promise<Uint8Array> {
  const name = { exact: 'word/document.xml', case: 'Word/Document.XML', backslash: 'word\\document.xml' }[spelling]
  return zipOfParts([...docxParts(), { name, content: documentXml(paragraph(HIDDEN_WORD)) }])
}

/**
 * Two entries sharing bytes: the picture's stored data holds a whole local record of a second
 * document, and that document's directory header points into it (the overlapping-file zip bomb).
 */
export async function overlappingEntries(): Promise<Uint8Array> {
  const inner = await zipLayout([{ name: 'word/header1.xml', content: documentXml(paragraph(HIDDEN_WORD)) }])
  const record = inner.bytes.slice(0, inner.entries[0]!.dataEnd)
  const parts = [
    ...docxParts(),
    { name: 'word/media/image2.png', content: record, stored: true },
    { name: 'word/header1.xml', content: documentXml(paragraph(HIDDEN_WORD)) },
  ]
  const { bytes, entries } = await zipLayout(parts)
  const carrier = entries[entries.length - 2]!
  setU32(bytes, entries[entries.length - 1]!.central + CENTRAL.localOffset, carrier.dataStart)
  return bytes
}

/** `word/document.xml`'s local header says something else than its directory header. */
export async function localHeaderDisagrees(field: 'name' | 'method' | 'flags' | 'size'): Promise<Uint8Array> {
  const { bytes, entries } = await zipLayout(docxParts())
  const document = entries.find((e) => e.name === 'word/document.xml')!
  if (field === 'name') bytes.set(utf8('word/documenX.xml'), document.local + 30)
  if (field === 'method') setU16(bytes, document.local + LOCAL.method, 0)
  if (field === 'flags') setU16(bytes, document.local + LOCAL.flags, 0)
  if (field === 'size') setU32(bytes, document.local + LOCAL.size, u32(bytes, document.local + LOCAL.size) * 4)
  return bytes
}

/** ZIP64 in one of the ways a reader would notice it. */
export async function zip64(kind: 'end record' | 'locator' | 'extra field' | 'entry size'): Promise<Uint8Array> {
  if (kind === 'extra field') {
    const parts = docxParts()
    parts[2] = { ...parts[2]!, extra: Uint8Array.of(0x01, 0x00, 0x00, 0x00) }
    return zipOfParts(parts)
  }
  const { bytes, entries, end } = await zipLayout(docxParts())
  if (kind === 'end record') setU16(bytes, end + END.entries, 0xffff)
  if (kind === 'entry size') setU32(bytes, entries[2]!.central + CENTRAL.size, 0xffffffff)
  if (kind === 'locator') {
    // A ZIP64 end-of-directory locator just before the end record, the directory grown to cover it.
    const locator = new Uint8Array(20)
    setU32(locator, 0, 0x07064b50)
    const withLocator = concatBytes([bytes.subarray(0, end), locator, bytes.subarray(end)])
    setU32(withLocator, end + 20 + END.directorySize, u32(bytes, end + END.directorySize) + 20)
    return withLocator
  }
  return bytes
}

/** `word/document.xml` flagged as encrypted (in both headers, so only the flag is wrong). */
export async function encryptedEntry(): Promise<Uint8Array> {
  const { bytes, entries } = await zipLayout(docxParts())
  const document = entries[2]!
  setU16(bytes, document.local + LOCAL.flags, u16(bytes, document.local + LOCAL.flags) | 1)
  setU16(bytes, document.central + CENTRAL.flags, u16(bytes, document.central + CENTRAL.flags) | 1)
  return bytes
}

/** `word/document.xml` said to be compressed with `method` (12 is bzip2, 14 LZMA). */
export async function otherMethod(method: number): Promise<Uint8Array> {
  const { bytes, entries } = await zipLayout(docxParts())
  const document = entries[2]!
  setU16(bytes, document.local + LOCAL.method, method)
  setU16(bytes, document.central + CENTRAL.method, method)
  return bytes
}

/** An XML part of `bytes`, with both headers claiming `declaredSize` (honest by default). */
export function xmlBomb(bytes: number, options: { declaredSize?: number; part?: string } = {}): Promise<Uint8Array> {
  const part = options.part ?? 'word/header1.xml'
  return zipOfParts([
    ...docxParts(),
    { name: part, content: documentOfSize(HIDDEN_WORD, bytes), declaredSize: options.declaredSize },
  ])
}

/** `word/document.xml` with one byte of its text changed after its CRC was written. */
export async function checksumMismatch(): Promise<Uint8Array> {
  const parts = docxParts()
  parts[2] = { ...parts[2]!, stored: true }
  const { bytes, entries } = await zipLayout(parts)
  const at = entries[2]!.dataEnd - 30
  bytes[at] = bytes[at]! ^ 0x01
  return bytes
}

/** A DOCX with `count` extra empty files. */
export function manyEntries(count: number): Promise<Uint8Array> {
  const empties = Array.from({ length: count }, (_, i) => ({
    name: `customXml/item${i}.bin`,
    content: '',
    stored: true,
  }))
  return zipOfParts([...docxParts(), ...empties])
}

/** `word/document.xml` whose central header marks it a folder (JSZip then does not find the file). */
export async function fileMarkedAsFolder(): Promise<Uint8Array> {
  const parts = docxParts()
  parts[2] = { ...parts[2]!, attributes: 0x10 }
  return zipOfParts(parts)
}

/** A second `word/document.xml` spelled so that JSZip resolves it to the first one's name. */
export async function dotSegmentName(): Promise<Uint8Array> {
  return zipOfParts([...docxParts(), { name: 'word/./document.xml', content: documentXml(paragraph(HIDDEN_WORD)) }])
}

/** Info-ZIP's Unicode path extra field: JSZip names the entry from it, not from the header. */
export async function unicodePathField(): Promise<Uint8Array> {
  const parts = docxParts()
  const value = concatBytes([Uint8Array.of(1), new Uint8Array(4), utf8('[Content_Types].xml')])
  const field = concatBytes([Uint8Array.of(0x75, 0x70, value.length, 0), value])
  parts[0] = { ...parts[0]!, extra: field }
  return zipOfParts(parts)
}
