import { describe, expect, it } from 'vitest'
import { extractText } from '../../src/knowledge/extract'
import { htmlToText } from '../../src/knowledge/extract/html'
import { markdownToText } from '../../src/knowledge/extract/markdown'
import { pdfToText } from '../../src/knowledge/extract/pdf'
import { detectDocumentType } from '../../src/knowledge/file-types'
import { type FixtureName, fixture } from './helpers'

const extract = (name: FixtureName) => extractText(detectDocumentType(name, fixture(name)), fixture(name))
const utf8 = (s: string) => new TextEncoder().encode(s)

describe('text extraction (spec 5.2)', () => {
  it('extracts text from .txt files', async () => {
    expect(await extract('sample.txt')).toContain('Hello, this is test content.')
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
  it.each([
    ['empty.txt', 'The file is empty (0 bytes)'],
    ['empty.pdf', 'The file is empty (0 bytes)'],
    ['corrupt.pdf', 'The PDF is damaged or not a valid PDF file'],
    ['encrypted.pdf', 'The PDF is encrypted (password-protected)'],
    ['blank.pdf', 'The PDF contains no text'],
    ['corrupt.docx', 'The Word document is damaged or not a valid .docx file'],
  ] as const)('%s', async (name, message) => {
    await expect(extract(name)).rejects.toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
      message: expect.stringContaining(message),
    })
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
