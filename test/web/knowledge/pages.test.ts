import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { knowledgeBases, knowledgeDocuments } from '../../../src/db/schema'
import { testDb } from '../../support/db'
import { BASE, call } from '../../support/http'
import { bucket, chunksOf, deliver, documentRow, type FixtureName, fixture, message } from '../../support/knowledge'
import { signedInCustomer } from '../../support/web'
import type { WebClient } from '../../support/web-client'

function upload(web: WebClient, kbId: string, names: Array<FixtureName | [string, FixtureName]>) {
  const files = names.map((entry) => {
    const [fileName, fixtureName] = Array.isArray(entry) ? entry : [entry, entry]
    // The declared type is a lie on purpose: the server decides from name and bytes.
    return new File([fixture(fixtureName)], fileName, { type: 'application/pdf' })
  })
  return web.postFiles(`/knowledge/${kbId}/documents`, files)
}

async function setup() {
  const { db } = testDb()
  const signedIn = await signedInCustomer(db)
  const kb = await signedIn.f.knowledgeBase({ customerId: signedIn.customer.id, name: 'Help centre' })
  const docsOf = () => db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.knowledgeBaseId, kb.id))
  return { db, ...signedIn, kb, docsOf }
}

describe('knowledge base plan limit', () => {
  it('refuses a knowledge base beyond the plan limit with a readable message, and creates nothing', async () => {
    const { db } = testDb()
    const { customer, web } = await signedInCustomer(db, { knowledge_bases: 1 })
    expect((await web.post('/knowledge', { name: 'First' })).status).toBe(303)
    const refused = await web.post('/knowledge', { name: 'Second' })
    expect(refused.status).toBe(422)
    expect(await refused.text()).toContain('upgrade')
    const rows = await db.select().from(knowledgeBases).where(eq(knowledgeBases.customerId, customer.id))
    expect(rows.map((r) => r.name)).toEqual(['First'])
  })
})

describe('knowledge base pages', () => {
  it('need a signed-in customer', async () => {
    const res = await call('/knowledge', { redirect: 'manual' })
    expect([302, 303]).toContain(res.status)
    expect(res.headers.get('Location')).toBe('/login?next=%2Fknowledge')
  })

  it('create, list and rename a knowledge base', async () => {
    const { db, web, customer } = await setup()
    await web.page('/knowledge')
    const created = await web.post('/knowledge', { name: 'Returns policy', description: 'What we take back' })
    expect(created.status).toBe(303)
    const { html } = await web.follow(created)
    expect(html).toContain('Returns policy')
    expect(html).toContain('Knowledge base created')
    const [kb] = await db.select().from(knowledgeBases).where(eq(knowledgeBases.name, 'Returns policy'))
    expect(kb!.customerId).toBe(customer.id)
    expect((await web.page('/knowledge')).html).toContain(`href="/knowledge/${kb!.id}"`)
    const renamed = await web.post(`/knowledge/${kb!.id}`, { name: 'Returns', description: '' })
    expect(renamed.status).toBe(303)
    const [after] = await db.select().from(knowledgeBases).where(eq(knowledgeBases.id, kb!.id))
    expect(after!.name).toBe('Returns')
  })

  it('refuses a nameless knowledge base with a message', async () => {
    const { web } = await setup()
    await web.page('/knowledge')
    const res = await web.post('/knowledge', { name: '  ' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Give the knowledge base a name')
  })

  it('uploads several files, lists them live while processing, then shows status, size and chunks', async () => {
    const { db, web, kb, docsOf } = await setup()
    await web.page(`/knowledge/${kb.id}`)
    const res = await upload(web, kb.id, ['sample.txt', 'sample.docx', 'corrupt.pdf'])
    expect(res.status).toBe(303)
    const docs = await docsOf()
    expect(docs.map((d) => d.status)).toEqual(['pending', 'pending', 'pending'])
    for (const doc of docs) expect(await bucket().head(doc.filePath!)).not.toBeNull()

    const pending = await web.page(`/knowledge/${kb.id}`)
    expect(pending.html).toContain('hx-trigger="every 2s"')
    expect(pending.html).toContain('Waiting')

    await deliver(docs.map((d) => message(d.id)))
    const fragment = await web.get(`/knowledge/${kb.id}/documents`, { 'HX-Request': 'true' })
    const html = await fragment.text()
    expect(html).not.toContain('hx-trigger')
    expect(html).not.toContain('<html')
    const txt = docs.find((d) => d.title === 'sample.txt')!
    const row = await documentRow(db, txt.id)
    expect(html).toMatch(new RegExp(`id="document-${txt.id}" data-status="indexed"`))
    expect(html).toContain(`<td>${row!.chunkCount}</td>`)
    expect(html).toContain(`${txt.fileSize} B`)
    expect(html).toContain('The PDF is damaged or not a valid PDF file')
  })

  it.each([
    ['whose multipart body does not parse', 'multipart/form-data', 400, 'This form could not be read'],
    ['whose body is no form at all', 'text/plain', 422, 'Choose at least one file to upload.'],
  ])('answers an upload %s with a readable page, storing nothing', async (_case, type, status, message) => {
    const { web, kb, docsOf } = await setup()
    const res = await call(`/knowledge/${kb.id}/documents`, {
      method: 'POST',
      headers: {
        Cookie: [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        Origin: BASE,
        'Content-Type': type,
        'X-CSRF-Token': web.csrf!,
      },
      body: 'not a multipart body',
      redirect: 'manual',
    })
    expect(res.status).toBe(status)
    expect(await res.text()).toContain(message)
    expect(await docsOf()).toEqual([])
  })

  it('refuses a file of the wrong type renamed .pdf, with a message and nothing stored', async () => {
    const { web, kb, customer, docsOf } = await setup()
    await web.page(`/knowledge/${kb.id}`)
    const res = await upload(web, kb.id, [['report.pdf', 'not-really.pdf']])
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('&quot;report.pdf&quot; is named .pdf but is not a PDF file')
    expect(await docsOf()).toEqual([])
    expect((await bucket().list({ prefix: `customers/${customer.id}/` })).objects).toEqual([])
  })

  it('adds pasted text, searches it and shows scores', async () => {
    const { web, kb, docsOf } = await setup()
    await web.page(`/knowledge/${kb.id}`)
    const res = await web.post(`/knowledge/${kb.id}/text`, {
      title: 'Opening hours',
      text: 'Our shop opens at nine in the morning and closes at six in the evening.',
    })
    expect(res.status).toBe(303)
    const [doc] = await docsOf()
    expect(doc).toMatchObject({ title: 'Opening hours', sourceType: 'text' })
    await deliver([message(doc!.id)])
    const search = await web.post(
      `/knowledge/${kb.id}/search`,
      { query: 'when does the shop open' },
      { headers: { 'HX-Request': 'true' } },
    )
    const html = await search.text()
    expect(search.status).toBe(200)
    expect(html).toContain('Our shop opens at nine')
    expect(html).toMatch(/Score <strong>0\.\d{3}<\/strong>/)
    // Hybrid by default: found by both sides, the matched words marked.
    expect(html).toContain('meaning #1 · keywords #1')
    expect(html).toContain('<mark>shop</mark> <mark>opens</mark>')
    const keywordOnly = await web.post(
      `/knowledge/${kb.id}/search`,
      { query: 'when does the shop open', mode: 'keyword' },
      { headers: { 'HX-Request': 'true' } },
    )
    expect(await keywordOnly.text()).toContain('meaning – · keywords #1')
  })

  it("renders its forms with the app's field styles and saves the search language", async () => {
    const { db, web, kb } = await setup()
    const { html } = await web.page(`/knowledge/${kb.id}`)
    for (const name of ['title', 'query', 'name', 'description']) {
      expect(html).toMatch(
        new RegExp(
          `<div class="field"><label for="field-${name}">[^]*?<input id="field-${name}" name="${name}"[^>]* type="text"`,
        ),
      )
    }
    expect(html).toContain('<textarea id="field-text" name="text"')
    expect(html).toContain('<select id="field-mode" name="mode"')
    expect(html).toMatch(/<option value="english" selected="">English<\/option>/)
    const saved = await web.post(`/knowledge/${kb.id}`, { name: kb.name, description: '', search_language: 'simple' })
    expect(saved.status).toBe(303)
    const [after] = await db.select().from(knowledgeBases).where(eq(knowledgeBases.id, kb.id))
    expect(after!.searchLanguage).toBe('simple')
    const refused = await web.post(`/knowledge/${kb.id}`, { name: kb.name, search_language: 'klingon' })
    expect(refused.status).toBe(422)
    expect(await refused.text()).toContain('Choose one of the listed search languages')
  })

  it('re-indexes and deletes a document (chunks and R2 object go too)', async () => {
    const { db, web, kb, docsOf } = await setup()
    await web.page(`/knowledge/${kb.id}`)
    await upload(web, kb.id, ['sample.md'])
    const [doc] = await docsOf()
    await deliver([message(doc!.id)])
    expect((await web.post(`/knowledge/${kb.id}/documents/${doc!.id}/reindex`)).status).toBe(303)
    expect((await documentRow(db, doc!.id))!.status).toBe('pending')
    await deliver([message(doc!.id)])
    expect((await chunksOf(db, doc!.id)).length).toBeGreaterThan(0)
    expect((await web.post(`/knowledge/${kb.id}/documents/${doc!.id}/delete`)).status).toBe(303)
    expect(await documentRow(db, doc!.id)).toBeUndefined()
    expect(await chunksOf(db, doc!.id)).toEqual([])
    expect(await bucket().get(doc!.filePath!)).toBeNull()
  })

  it('deletes a knowledge base with its documents and files', async () => {
    const { db, web, kb, docsOf } = await setup()
    await web.page(`/knowledge/${kb.id}`)
    await upload(web, kb.id, ['sample.txt'])
    const [doc] = await docsOf()
    const res = await web.post(`/knowledge/${kb.id}/delete`)
    expect(res.headers.get('Location')).toBe('/knowledge')
    expect(await db.select().from(knowledgeBases).where(eq(knowledgeBases.id, kb.id))).toEqual([])
    expect(await bucket().get(doc!.filePath!)).toBeNull()
  })

  it("never shows or changes another customer's knowledge base", async () => {
    const { db, web } = await setup()
    const other = await setup()
    await web.page('/knowledge')
    expect((await web.get(`/knowledge/${other.kb.id}`)).status).toBe(404)
    expect((await web.post(`/knowledge/${other.kb.id}/delete`)).status).toBe(404)
    expect((await web.post(`/knowledge/${other.kb.id}/search`, { query: 'x' })).status).toBe(404)
    expect((await upload(web, other.kb.id, ['sample.txt'])).status).toBe(404)
    expect(await db.select().from(knowledgeBases).where(eq(knowledgeBases.id, other.kb.id))).toHaveLength(1)
  })

  it('refuses a form without the CSRF token', async () => {
    const { web, kb } = await setup()
    const res = await web.post(`/knowledge/${kb.id}/delete`, {}, { csrf: false })
    expect(res.status).toBe(403)
  })
})
