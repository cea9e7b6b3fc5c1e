// Random damage to a valid DOCX (counts, names, duplicated entries, offsets, sizes, flags, bytes
// before or after): the reader never unpacks past its budget, and whenever it accepts a file,
// JSZip (what mammoth reads with) reading the same bytes finds the same XML parts, byte for byte.
import fc from 'fast-check'
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { Unreadable } from '../../../src/errors'
import { isXmlPart, readDocxParts } from '../../../src/knowledge/extract/zip'
import {
  CENTRAL,
  documentXml,
  docxParts,
  END,
  LOCAL,
  type PartSpec,
  paragraph,
  setU16,
  setU32,
  u16,
  u32,
  zipLayout,
} from '../../support/bombs/zip'

const BUDGET = 64 * 1024
const LIMITS = { maxXmlBytes: BUDGET, maxEntries: 64 }
const RUNS = 200

type Record = 'end' | 'central' | 'local'
const FIELDS = { end: END, central: CENTRAL, local: LOCAL }
/** Which fields are four bytes wide (the others are two). */
const WIDE = new Set(['crc', 'compressedSize', 'size', 'attributes', 'localOffset', 'directorySize', 'directoryOffset'])

const value = fc.oneof(
  fc.record({ by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ to: fc.constantFrom(0, 1, 8, 0x10, 0x0800, 0xffff, 0xffffffff) }),
  fc.record({ to: fc.nat({ max: 0xffffffff }) }),
)

const fieldChange = fc.oneof(
  ...(Object.keys(FIELDS) as Record[]).map((record) =>
    fc.record({
      kind: fc.constant('field' as const),
      record: fc.constant(record),
      entry: fc.nat(),
      field: fc.constantFrom(...Object.keys(FIELDS[record])),
      value,
    }),
  ),
  // Issue 21: the end record counts one entry fewer than the directory holds.
  fc.record({ kind: fc.constant('uncount' as const) }),
  // The picture's bytes, which are never unpacked.
  fc.record({ kind: fc.constant('picture' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
)
const byteChange = fc.oneof(
  fc.record({ kind: fc.constant('prepend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
)

/** A second part added to the DOCX: a document under a name a reader may take for the first, or a large part. */
const addedPart = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  fc
    .constantFrom(
      'word/document.xml',
      'Word/Document.XML',
      'word\\document.xml',
      'word/./document.xml',
      'word//document.xml',
    )
    .map((name): PartSpec => ({ name, content: documentXml(paragraph('second')) })),
  fc
    .record({
      bytes: fc.integer({ min: 1, max: 2 * BUDGET }),
      declaredSize: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.nat({ max: 2 * BUDGET }) },
      ),
      stored: fc.boolean(),
    })
    .map(
      ({ bytes, declaredSize, stored }): PartSpec => ({
        name: 'word/header1.xml',
        content: new TextEncoder().encode('<w:hdr/>'.repeat(Math.ceil(bytes / 8)).slice(0, bytes)),
        declaredSize,
        stored,
      }),
    ),
)

/** Often no change at all, so that accepted files (and JSZip's reading of them) come up too. */
const someOf = <T>(change: fc.Arbitrary<T>, maxLength: number) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant([] as T[]) },
    { weight: 1, arbitrary: fc.array(change, { minLength: 1, maxLength }) },
  )

const mutatedDocx = fc.record({
  writing: fc.array(fc.record({ stored: fc.boolean(), dataDescriptor: fc.boolean() }), { minLength: 5, maxLength: 5 }),
  added: addedPart,
  fieldChanges: someOf(fieldChange, 3),
  byteChanges: someOf(byteChange, 2),
})

async function build({
  writing,
  added,
  fieldChanges,
  byteChanges,
}: typeof mutatedDocx extends fc.Arbitrary<infer T> ? T : never) {
  const parts = docxParts().map((part, i) => ({ ...part, ...writing[i] }))
  if (added) parts.push(added)
  const layout = await zipLayout(parts)
  let bytes = layout.bytes
  for (const change of fieldChanges) {
    if (change.kind === 'picture') {
      const picture = layout.entries.find((entry) => entry.name === 'word/media/image1.png')!
      bytes[picture.dataStart + (change.at % (picture.dataEnd - picture.dataStart))] = change.byte
      continue
    }
    if (change.kind === 'uncount') {
      setU16(bytes, layout.end + END.entries, parts.length - 1)
      setU16(bytes, layout.end + END.entriesOnDisk, parts.length - 1)
      continue
    }
    const entry = layout.entries[change.entry % layout.entries.length]!
    const base = { end: layout.end, central: entry.central, local: entry.local }[change.record]
    const at = base + (FIELDS[change.record] as { [field: string]: number })[change.field]!
    const wide = WIDE.has(change.field)
    const current = wide ? u32(bytes, at) : u16(bytes, at)
    const next = 'by' in change.value ? current + change.value.by : change.value.to
    if (wide) setU32(bytes, at, next)
    else setU16(bytes, at, next & 0xffff)
  }
  for (const change of byteChanges) {
    if (change.kind === 'prepend') bytes = Uint8Array.from([...change.bytes, ...bytes])
    if (change.kind === 'append') bytes = Uint8Array.from([...bytes, ...change.bytes])
    if (change.kind === 'overwrite') bytes[change.at % bytes.length] = change.byte
  }
  return bytes
}

describe('a mutated DOCX: unpacked within budget, and read as JSZip reads it or refused', { timeout: 120_000 }, () => {
  it('holds for random mutations of a valid DOCX', async () => {
    const seen = { accepted: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(mutatedDocx, async (mutation) => {
        const bytes = await build(mutation)
        let unpacked = 0
        let largestBlock = 0
        const observer = {
          onUnpack: (n: number) => {
            unpacked += n
            largestBlock = Math.max(largestBlock, n)
          },
        }
        const outcome = await readDocxParts(bytes, LIMITS, observer).then(
          (parts) => ({ parts, error: undefined }),
          (error: unknown) => ({ parts: undefined, error }),
        )
        // The reader stops at the first block past a cap; that block is all it may hold beyond the budget.
        expect(unpacked).toBeLessThanOrEqual(BUDGET + largestBlock)
        if (!outcome.parts) {
          expect(outcome.error).toBeInstanceOf(Unreadable)
          seen.refused++
          return
        }
        seen.accepted++
        const zip = await JSZip.loadAsync(bytes)
        const theirs = Object.values(zip.files).filter((file) => !file.dir && isXmlPart(file.name))
        expect(theirs.map((file) => file.name).sort()).toEqual(outcome.parts.map((part) => part.name).sort())
        for (const part of outcome.parts) expect(await zip.file(part.name)!.async('uint8array')).toEqual(part.bytes)
      }),
      { numRuns: RUNS },
    )
    // Both sides of the property were exercised, not only refusals.
    expect(seen.accepted).toBeGreaterThan(RUNS / 10)
    expect(seen.refused).toBeGreaterThan(RUNS / 10)
  })
})
