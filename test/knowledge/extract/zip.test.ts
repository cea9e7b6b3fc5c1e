import { describe, expect, it } from 'vitest'
import { ExtractionLimitExceeded, Unreadable } from '../../../src/errors'
import { extractText } from '../../../src/knowledge/extract'
import { docxToText } from '../../../src/knowledge/extract/docx'
import { crc32, readDocxParts, storedZip } from '../../../src/knowledge/extract/zip'
import { MAX_DOCX_ENTRIES, MAX_DOCX_XML_BYTES } from '../../../src/knowledge/limits'
import {
  bytesAfterEndRecord,
  checksumMismatch,
  docxParts,
  docxWithPicture,
  dotSegmentName,
  duplicateName,
  encryptedEntry,
  fileMarkedAsFolder,
  localHeaderDisagrees,
  manyEntries,
  otherMethod,
  overcountedDirectory,
  overlappingEntries,
  prependedBytes,
  splitAcrossDisks,
  stubBeforeFirstEntry,
  twoEndRecords,
  uncountedSecondDocument,
  unicodePathField,
  VISIBLE_TEXT,
  xmlBomb,
  zip64,
  zipOfParts,
} from '../../support/bombs/zip'
import { fixture } from '../../support/knowledge'

const MB = 1024 * 1024
const LIMITS = { maxXmlBytes: MAX_DOCX_XML_BYTES, maxEntries: MAX_DOCX_ENTRIES }

/** Reads `bytes` as the extractor does, counting every byte unpacked on the way. */
async function read(bytes: Uint8Array) {
  let unpacked = 0
  let largestBlock = 0
  const outcome = await docxToText(bytes, LIMITS, {
    onUnpack: (n) => {
      unpacked += n
      largestBlock = Math.max(largestBlock, n)
    },
  }).then(
    (text) => ({ text, error: undefined }),
    (error: unknown) => ({ text: undefined, error }),
  )
  return { ...outcome, unpacked, largestBlock }
}

const xmlSize = (parts: ReturnType<typeof docxParts>) =>
  parts
    .filter((p) => /\.(xml|rels)$/.test(p.name))
    .reduce((n, p) => n + new TextEncoder().encode(p.content as string).length, 0)

describe('a DOCX read once: what mammoth reads is what was measured', () => {
  it('reads the text of a DOCX with a picture, unpacking its XML parts and never the picture', async () => {
    const { text, error, unpacked } = await read(await docxWithPicture())
    expect(error).toBeUndefined()
    expect(text).toContain(VISIBLE_TEXT)
    expect(unpacked).toBe(xmlSize(docxParts()))
  })

  it('hands mammoth the XML and relationship parts only, with their checked CRC-32', async () => {
    const parts = await readDocxParts(await docxWithPicture(), LIMITS)
    expect(parts.map((p) => p.name)).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'word/document.xml',
      'word/_rels/document.xml.rels',
    ])
    for (const part of parts) expect(part.crc32).toBe(crc32(part.bytes))
    const again = await readDocxParts(storedZip(parts), LIMITS)
    expect(again).toEqual(parts)
  })

  it('computes the standard CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })

  it("reads the repository's DOCX fixture", async () => {
    expect(await extractText('docx', fixture('sample.docx'))).toContain('Quarterly onboarding handbook')
  })

  it('reads entries with data descriptors (as Java writes them) and folder entries', async () => {
    const parts = [
      { name: 'word/', content: '', stored: true, attributes: 0x10 },
      ...docxParts().map((p) => ({ ...p, dataDescriptor: true })),
    ]
    expect(await extractText('docx', await zipOfParts(parts))).toContain(VISIBLE_TEXT)
  })

  it('never unpacks a picture, however large it claims to be or is', async () => {
    const zeros = () => Array.from({ length: 24 }, () => new Uint8Array(MB))
    const bytes = await zipOfParts([
      ...docxParts(),
      { name: 'word/media/image2.png', content: zeros, declaredSize: 1024 },
      { name: 'word/media/image3.png', content: zeros },
    ])
    const { text, unpacked } = await read(bytes)
    expect(text).toContain(VISIBLE_TEXT)
    expect(unpacked).toBe(xmlSize(docxParts()))
  })
})

const ZIP_REFUSALS: Array<[string, () => Promise<Uint8Array>, string]> = [
  [
    'an uncounted second word/document.xml (issue 21)',
    () => uncountedSecondDocument(MB),
    'its zip directory holds more entries than it declares',
  ],
  [
    'an end record counting more entries than the directory holds',
    overcountedDirectory,
    'holds fewer entries than it declares',
  ],
  ['bytes prepended, offsets unchanged', prependedBytes, 'its zip directory does not end where its end record says'],
  ['a stub before the first entry, offsets moved', stubBeforeFirstEntry, 'it has bytes before its first entry'],
  ['a second end record in the comment', twoEndRecords, 'it has more than one end-of-directory record'],
  ['bytes after the end record', bytesAfterEndRecord, 'its zip comment does not reach the end of the file'],
  ['multi-disk fields', splitAcrossDisks, 'uses a zip feature Word does not write (split across disks)'],
  ['a duplicate name', () => duplicateName('exact'), 'two files have the same name'],
  ['a duplicate name in other case', () => duplicateName('case'), 'two files have the same name'],
  ['a duplicate name with a backslash', () => duplicateName('backslash'), 'two files have the same name'],
  ['a name JSZip resolves to another (word/./document.xml)', dotSegmentName, 'a file name is not a plain path'],
  ['overlapping entries', overlappingEntries, 'two entries overlap'],
  ["a local header's name", () => localHeaderDisagrees('name'), 'local header disagrees with the zip directory'],
  ["a local header's method", () => localHeaderDisagrees('method'), 'local header disagrees with the zip directory'],
  ["a local header's flags", () => localHeaderDisagrees('flags'), 'local header disagrees with the zip directory'],
  ["a local header's size", () => localHeaderDisagrees('size'), 'local header disagrees with the zip directory'],
  ['ZIP64 end record fields', () => zip64('end record'), 'Word does not write (ZIP64)'],
  ['a ZIP64 locator', () => zip64('locator'), 'Word does not write (ZIP64)'],
  ['a ZIP64 extra field', () => zip64('extra field'), 'Word does not write (ZIP64)'],
  ['a ZIP64 entry size', () => zip64('entry size'), 'Word does not write (ZIP64)'],
  ['an encrypted entry', encryptedEntry, 'The Word document is encrypted (password-protected)'],
  ['bzip2', () => otherMethod(12), 'Word does not write (compression method 12)'],
  ['LZMA', () => otherMethod(14), 'Word does not write (compression method 14)'],
  ['a file marked as a folder', fileMarkedAsFolder, 'a file is marked as a folder'],
  ["Info-ZIP's Unicode path field", unicodePathField, 'Word does not write (a second, Unicode file name)'],
]

describe('zips two readers could read differently are refused before anything is unpacked', () => {
  it.each(ZIP_REFUSALS)('%s', async (_, build, reason) => {
    const { error, unpacked } = await read(await build())
    expect(error).toBeInstanceOf(Unreadable)
    expect(error).not.toBeInstanceOf(ExtractionLimitExceeded)
    expect((error as Error).message).toContain(reason)
    expect(unpacked).toBe(0)
  })
})

describe('parts are unpacked within the budget and checked', () => {
  it('refuses XML that declares more than the budget, before unpacking any of it', async () => {
    const { error, unpacked } = await read(await xmlBomb(MAX_DOCX_XML_BYTES + MB))
    expect(error).toBeInstanceOf(ExtractionLimitExceeded)
    expect((error as Error).message).toBe(
      "The Word document's text unpacks to more than 20 MB (the limit); split it into smaller files",
    )
    expect(unpacked).toBe(0)
  })

  it('stops unpacking a part at the first block past its declared size', async () => {
    const declaredSize = 1024
    const { error, unpacked, largestBlock } = await read(await xmlBomb(8 * MB, { declaredSize }))
    expect((error as Error).message).toContain('a file unpacks to more than its declared size')
    expect(unpacked).toBeLessThanOrEqual(xmlSize(docxParts()) + declaredSize + largestBlock)
  })

  it('refuses a part that unpacks to less than its declared size', async () => {
    const { error } = await read(await xmlBomb(1024, { declaredSize: 4096 }))
    expect((error as Error).message).toContain('a file unpacks to less than its declared size')
  })

  it('refuses a part whose bytes do not match their CRC-32', async () => {
    const { error } = await read(await checksumMismatch())
    expect((error as Error).message).toContain("a file's data does not match its checksum")
  })

  it(`refuses more than ${MAX_DOCX_ENTRIES} entries by the end record's count`, async () => {
    const { error, unpacked } = await read(await manyEntries(MAX_DOCX_ENTRIES))
    expect(error).toBeInstanceOf(ExtractionLimitExceeded)
    expect((error as Error).message).toBe('The Word document holds more than 5,000 files (the limit)')
    expect(unpacked).toBe(0)
  })
})
