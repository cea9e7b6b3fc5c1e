// Every hostile file the document consumer must refuse, one line each: the consumer-path test
// (test/knowledge/hostile-uploads.test.ts) and the bombs benchmark (bench/scenarios/bombs.ts) both run
// this list, so a new bomb is added once.

import { emptyPagesPdf, repeated } from '../hostile-files.ts'
import {
  cmapBomb,
  doubleFlateBombPdf,
  flateBombPdf,
  objectStreamBomb,
  onePagePdf,
  operatorBombPdf,
  tableBombDeflate,
} from './pdf.ts'
import { uncountedSecondDocument, xmlBomb } from './zip.ts'

const MB = 1024 * 1024

/** What each PDF whose streams unpack past the budget is refused with. */
const PDF_TOO_BIG = 'The PDF unpacks to more than 50 MB (the limit)'

export interface Bomb {
  fileName: string
  build: () => Uint8Array | Promise<Uint8Array>
  /** What its `error_message` must contain. */
  reason: string
  /** Refused as ExtractionLimitExceeded: `failed_on_limits` must be set (and must not be otherwise). */
  limit: boolean
}

const unreadable = (fileName: string, build: Bomb['build'], reason: string): Bomb => ({
  fileName,
  build,
  reason,
  limit: false,
})
const overLimit = (fileName: string, build: Bomb['build'], reason: string): Bomb => ({
  fileName,
  build,
  reason,
  limit: true,
})
const codeTableBombPdf = (blocks: number) =>
  onePagePdf({ dict: '<< /Filter /FlateDecode >>', data: tableBombDeflate(blocks) })

/**
 * One line per hostile file (generators in test/support/hostile-files.ts and test/support/bombs/):
 * `overLimit` ones are refused as ExtractionLimitExceeded (`failed_on_limits`), `unreadable` ones not.
 */
export const BOMBS: Bomb[] = [
  unreadable('tag-bomb.html', () => repeated('<head>', 12 * MB), 'The HTML file contains no text'),
  unreadable('emphasis-bomb.md', () => repeated('**a ', 12 * MB), 'more than 4,000,000 characters'),
  overLimit('xml-bomb.docx', () => xmlBomb(100 * MB), 'text unpacks to more than 20 MB'),
  unreadable('lying-xml-bomb.docx', () => xmlBomb(100 * MB, { declaredSize: 1024 }), 'more than its declared size'),
  unreadable('hidden-document.docx', () => uncountedSecondDocument(64 * MB), 'holds more entries than it declares'),
  overLimit('empty-pages.pdf', () => emptyPagesPdf(5000), 'The PDF has 5,000 pages'),
  overLimit('flate-bomb.pdf', () => flateBombPdf(200 * MB), PDF_TOO_BIG),
  overLimit('double-flate-bomb.pdf', () => doubleFlateBombPdf(200 * MB), PDF_TOO_BIG),
  overLimit('lying-length-flate-bomb.pdf', () => flateBombPdf(200 * MB, { lengthLie: 10 }), PDF_TOO_BIG),
  overLimit('object-stream-bomb.pdf', () => objectStreamBomb(200 * MB), PDF_TOO_BIG),
  overLimit('operator-bomb.pdf', () => operatorBombPdf(1_200_000), 'more than 1,000,000 drawing operations'),
  overLimit('code-table-bomb.pdf', () => codeTableBombPdf(20_000), 'Checking the PDF would take too long'),
  overLimit('cmap-bomb.pdf', () => cmapBomb(), "The PDF's fonts map more than 1,000,000 characters"),
]
