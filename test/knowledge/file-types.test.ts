import { describe, expect, it } from 'vitest'
import { type DomainError, TooLarge, UnsupportedFileType } from '../../src/errors'
import { detectDocumentType } from '../../src/knowledge/file-types'
import { MAX_UPLOAD_BYTES } from '../../src/knowledge/limits'
import { documentObjectKey } from '../../src/knowledge/storage'
import { fixture } from '../support/knowledge'

const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error as DomainError
  }
  throw new Error('expected a refusal')
}

describe('detectDocumentType (bytes and extension together)', () => {
  it.each([
    ['sample.txt', 'txt'],
    ['sample.md', 'md'],
    ['sample.html', 'html'],
    ['sample.pdf', 'pdf'],
    ['sample.docx', 'docx'],
  ] as const)('recognises %s as %s', (name, type) => {
    expect(detectDocumentType(name, fixture(name))).toBe(type)
  })

  it('accepts upper-case and alternative extensions', () => {
    expect(detectDocumentType('GUIDE.PDF', fixture('sample.pdf'))).toBe('pdf')
    expect(detectDocumentType('notes.markdown', fixture('sample.md'))).toBe('md')
    expect(detectDocumentType('page.htm', fixture('sample.html'))).toBe('html')
  })

  it('refuses a text file renamed .pdf', () => {
    const error = refusal(() => detectDocumentType('invoice.pdf', fixture('not-really.pdf')))
    expect(error).toBeInstanceOf(UnsupportedFileType)
    expect(error.message).toContain('is not a PDF')
  })

  it('refuses a PDF renamed .docx, and a PDF renamed .txt', () => {
    expect(refusal(() => detectDocumentType('x.docx', fixture('sample.pdf'))).message).toContain('not a Word document')
    expect(refusal(() => detectDocumentType('x.txt', fixture('sample.docx'))).message).toContain(
      'not a UTF-8 text file',
    )
  })

  it('refuses a .txt whose bytes are not UTF-8 (Latin-1 here), naming the file', () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x74, 0x65]) // "café note"
    const error = refusal(() => detectDocumentType('menu.txt', latin1))
    expect(error).toBeInstanceOf(UnsupportedFileType)
    expect(error.message).toBe('"menu.txt" is not a UTF-8 text file')
  })

  it('refuses an encrypted (OLE) Word file with a message that says so', () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0])
    expect(refusal(() => detectDocumentType('secret.docx', ole)).message).toContain('encrypted')
  })

  it('refuses unsupported extensions, whatever the bytes', () => {
    const error = refusal(() => detectDocumentType('photo.png', fixture('sample.txt')))
    expect(error).toBeInstanceOf(UnsupportedFileType)
    expect(error.message).toContain('.pdf')
    expect(refusal(() => detectDocumentType('no-extension', fixture('sample.txt')))).toBeInstanceOf(UnsupportedFileType)
  })

  it('refuses files over 25 MB', () => {
    const big = new Uint8Array(MAX_UPLOAD_BYTES + 1).fill(0x61)
    expect(refusal(() => detectDocumentType('big.txt', big))).toBeInstanceOf(TooLarge)
    expect(detectDocumentType('limit.txt', new Uint8Array(MAX_UPLOAD_BYTES).fill(0x61))).toBe('txt')
  })

  it('lets empty files through to fail at extraction with a clear message', () => {
    expect(detectDocumentType('empty.pdf', fixture('empty.pdf'))).toBe('pdf')
  })
})

describe('documentObjectKey', () => {
  it('is made of ids only, never of the file name', () => {
    const ids = {
      customerId: crypto.randomUUID(),
      knowledgeBaseId: crypto.randomUUID(),
      documentId: crypto.randomUUID(),
    }
    expect(documentObjectKey(ids)).toBe(
      `customers/${ids.customerId}/knowledge-bases/${ids.knowledgeBaseId}/documents/${ids.documentId}`,
    )
  })
})
