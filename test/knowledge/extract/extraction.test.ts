import { describe, expect, it } from 'vitest'
import { Unreadable } from '../../../src/errors'
import { extractText } from '../../../src/knowledge/extract'
import { htmlToText } from '../../../src/knowledge/extract/html'
import { markdownToText } from '../../../src/knowledge/extract/markdown'
import { pdfToText } from '../../../src/knowledge/extract/pdf'
import { decodeUtf8, TextCollector } from '../../../src/knowledge/extract/text'
import { detectDocumentType } from '../../../src/knowledge/file-types'
import { docxParts, VISIBLE_TEXT, xmlBomb, zipOfParts } from '../../support/bombs/zip'
import { emptyPagesPdf, repeated } from '../../support/hostile-files'
import { type FixtureName, fixture, UNREADABLE_FIXTURES } from '../../support/knowledge'

const extract = (name: FixtureName) => extractText(detectDocumentType(name, fixture(name)), fixture(name))
const utf8 = (s: string) => new TextEncoder().encode(s)

describe('text extraction (spec 5.2)', () => {
  it('extracts text from .txt files', async () => {
    expect(await extract('sample.txt')).toContain('Hello, this is test content.')
  })

  it('refuses bytes that are not UTF-8 with a message saying so', () => {
    expect(decodeUtf8(utf8('\uFEFFcafé'))).toBe('café')
    expect(() => decodeUtf8(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toThrow('The file is not valid UTF-8 text')
  })

  it('refuses a .docx whose compressed data is corrupt as damaged', async () => {
    const name = 'word/document.xml'
    const zip = await zipOfParts([{ name, content: '<w:document><w:body/></w:document>' }])
    // A deflate block of the reserved type 3: no inflater reads past it.
    zip.fill(0xff, 30 + name.length, 30 + name.length + 2)
    await expect(extractText(detectDocumentType('broken.docx', zip), zip)).rejects.toThrow(
      'The Word document is damaged or not a valid .docx file',
    )
  })

  it('refuses a .docx whose zip is sound but whose document is not XML as damaged', async () => {
    // The zip passes every size check and looks like a Word file; mammoth then fails to read it.
    const zip = await zipOfParts([{ name: 'word/document.xml', content: '<w:document><<<not xml' }])
    const refusal = extractText(detectDocumentType('notes.docx', zip), zip)
    await expect(refusal).rejects.toThrow('The Word document is damaged or not a valid .docx file')
    // mammoth's own error is kept as the cause (for the log), not shown to the customer.
    await expect(refusal).rejects.toMatchObject({ cause: expect.objectContaining({ message: expect.any(String) }) })
  })

  it('extracts text from .md files, without the markup', async () => {
    const content = await extract('sample.md')
    expect(content).toContain('Heading')
    expect(content).toContain('bold')
    expect(content).toContain('This is bold text with a link and code.')
    expect(content).not.toMatch(/[#*`[\]]|https:/)
  })

  it('extracts text from HTML, stripping tags, scripts, styles and comments', async () => {
    const content = await extract('sample.html')
    expect(content).toContain('Title')
    expect(content).toContain('Content here & more.')
    expect(content).not.toContain('<h1>')
    expect(content).not.toMatch(/alert|color: red|hidden comment|Enable JS/)
  })

  it('extracts text from PDF files (unpdf), every page', async () => {
    const content = await extract('sample.pdf')
    expect(content).toContain('Password reset guide')
    expect(content).toContain('Refunds are issued within 14 days.')
  })

  it('extracts text from DOCX files (mammoth)', async () => {
    const content = await extract('sample.docx')
    expect(content).toContain('Quarterly onboarding handbook')
    expect(content).toContain('Every new hire receives a laptop on day one.')
  })

  it('extracts the spec example strings', async () => {
    expect(await extractText('txt', utf8('Hello, this is test content.'))).toBe('Hello, this is test content.')
    const md = await extractText('md', utf8('# Heading\n\nThis is **bold** text.'))
    expect(md).toBe('Heading\n\nThis is bold text.')
    const html = await extractText('html', utf8('<html><body><h1>Title</h1><p>Content here.</p></body></html>'))
    expect(html).toBe('Title\n\nContent here.')
  })
})

describe('files that cannot be read end with a message that says why', () => {
  it.each(UNREADABLE_FIXTURES)('%s', async (name, message) => {
    const error = await extract(name).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Unreadable)
    expect((error as Unreadable).message).toContain(message)
  })

  it('a text file with only whitespace has no text', async () => {
    await expect(extractText('txt', utf8(' \n\t \n'))).rejects.toThrow('The text file contains no text')
  })

  it('limits PDF pages and time', async () => {
    await expect(pdfToText(fixture('sample.pdf'), { maxPages: 1 })).rejects.toThrow(
      'The PDF has 2 pages; the limit is 1',
    )
    await expect(pdfToText(fixture('sample.pdf'), { timeLimitMs: -1 })).rejects.toThrow('took too long')
  })
})

describe('markup helpers', () => {
  it('decodes entities and keeps block structure', () => {
    expect(htmlToText('<p>Caf&eacute; &#233; &#x41;&lt;b&gt;</p><div>Next</div>')).toBe('Caf&eacute; é A<b>\n\nNext')
  })

  it('drops an unterminated script', () => {
    expect(htmlToText('<p>Visible</p><script>var secret = 1')).toBe('Visible')
  })

  it('keeps words of links, images, lists and tables in Markdown', () => {
    const text = markdownToText(
      '![Logo](x.png)\n\n1. [Docs](https://d)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nconst x = 1\n```',
    )
    expect(text).toContain('Logo')
    expect(text).toContain('Docs')
    expect(text).toContain('const x = 1')
    expect(text).not.toMatch(/```|\]\(|---/)
  })
})

describe('hostile input: linear extraction and budgets', () => {
  it('a 12 MB tag bomb of unclosed <head> tags is read in one pass and has no text', async () => {
    await expect(extractText('html', repeated('<head>', 12 * 1024 * 1024))).rejects.toThrow(
      'The HTML file contains no text',
    )
  })

  it.each([
    ['<p>one<a href="x">two<b>three', 'one two three'],
    ['<svg><svg>kept<div>text', 'kept\ntext'],
    ['before<!-- never closed <p>hidden', 'before'],
    ['a <b>c</b> <i title="x > y">d</i> < e', 'a c d < e'],
    ['<title>T &amp; C</title><p>Body', 'T & C\n\nBody'],
  ])('unclosed markup: %j → %j', (html, text) => {
    expect(htmlToText(html)).toBe(text)
  })

  it('stops an HTML document at the text limit while reading it', () => {
    expect(() => htmlToText('<p>hello world'.repeat(1000), new TextCollector(500))).toThrow(
      'more than 500 characters of text',
    )
  })

  it('a 12 MB emphasis bomb is read in one pass and refused for its amount of text', async () => {
    await expect(extractText('md', repeated('**a ', 12 * 1024 * 1024))).rejects.toThrow(
      'The document has more than 4,000,000 characters of text',
    )
  })

  it.each([
    ['**a '.repeat(50_000), 'a a a'],
    ['[a]('.repeat(50_000), '[a]([a]('],
    [`# a${' '.repeat(100_000)}b`, 'a b'],
    ['_'.repeat(100_000), ''],
  ])('unclosed Markdown keeps its words (%#)', (markdown, start) => {
    expect(markdownToText(markdown).replace(/ +/g, ' ').startsWith(start)).toBe(true)
  })

  it('keeps intraword underscores, lone asterisks and nested links apart from their markup', () => {
    expect(markdownToText('snake_case_name and 2 * 3 with ~~old~~ [a **b**](u) > quote')).toBe(
      'snake_case_name and 2 * 3 with old a b > quote',
    )
    expect(markdownToText('> > deep\n>> quote')).toBe('deep\nquote')
  })

  it('removes NUL and lone surrogates from extracted text, keeping surrogate pairs', async () => {
    expect(await extractText('txt', utf8('a\0b 😀'))).toBe('ab 😀')
    expect(await extractText('html', utf8('<p>x&#xD800;y&#xDC00;z &#x1F600;</p>'))).toBe('xyz 😀')
  })

  it('refuses a DOCX whose XML unpacks to 100 MB (in about 100 KB) by its declared size', async () => {
    const bomb = await xmlBomb(100 * 1024 * 1024)
    expect(bomb.byteLength).toBeLessThan(256 * 1024)
    expect(detectDocumentType('bomb.docx', bomb)).toBe('docx')
    await expect(extractText('docx', bomb)).rejects.toThrow("The Word document's text unpacks to more than 20 MB")
  })

  it('refuses a DOCX whose directory lies about the size of its XML, by inflating and stopping there', async () => {
    await expect(extractText('docx', await xmlBomb(30 * 1024 * 1024, { declaredSize: 1024 }))).rejects.toThrow(
      'The Word document is damaged or not a valid .docx file: a file unpacks to more than its declared size',
    )
  })

  it('reads a DOCX whose picture unpacks to 100 MB without unpacking it (mammoth never reads pictures)', async () => {
    const zeros = new Uint8Array(1024 * 1024)
    const picture = { name: 'word/media/image9.png', content: () => Array.from({ length: 100 }, () => zeros) }
    expect(await extractText('docx', await zipOfParts([...docxParts(), picture]))).toContain(VISIBLE_TEXT)
  })

  it('refuses a PDF of 5,000 empty pages by its page count', async () => {
    await expect(extractText('pdf', emptyPagesPdf(5000))).rejects.toThrow('The PDF has 5,000 pages; the limit is 500')
  })

  it('stops a PDF at the text limit while reading it', async () => {
    await expect(pdfToText(fixture('sample.pdf'), { collector: new TextCollector(20) })).rejects.toThrow(
      'more than 20 characters of text',
    )
  })

  it.each([
    ['sample.pdf', 'The PDF is damaged'],
    ['sample.docx', 'The Word document is damaged'],
  ] as const)('a truncated %s is damaged', async (name, message) => {
    const bytes = fixture(name)
    const half = bytes.subarray(0, Math.floor(bytes.byteLength / 2))
    await expect(extractText(name === 'sample.pdf' ? 'pdf' : 'docx', half)).rejects.toThrow(message)
  })
})
