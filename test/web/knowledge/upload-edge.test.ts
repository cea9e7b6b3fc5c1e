// An upload (up to 30 MB) is read only once the session and its CSRF token are known: the token comes
// from the X-CSRF-Token header or a peek at the first multipart part (src/http/multipart-peek.ts).
// Bodies here are streams that count what the Worker pulls from them.
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { knowledgeDocuments } from '../../../src/db/schema'
import { MULTIPART_PEEK_BYTES } from '../../../src/http/multipart-peek'
import { countingBody, multipartOf } from '../../support/bombs/request-edge'
import { testDb } from '../../support/db'
import { BASE, call } from '../../support/http'
import { bucket } from '../../support/knowledge'
import { signedInCustomer } from '../../support/web'

const CHUNK = 1000
/** What the runtime may pull ahead of a reader, on top of what the Worker itself reads. */
const READ_AHEAD = 4 * CHUNK

type Mode = 'content-length' | 'chunked'

/** A text file of `bytes` bytes whose every line differs, so a byte lost or repeated shows. */
function textFile(bytes: number) {
  const lines: string[] = []
  for (let n = 0, size = 0; size < bytes; n++) {
    const line = `line ${n} of the upload\n`
    lines.push(line)
    size += line.length
  }
  return new TextEncoder().encode(lines.join('').slice(0, bytes))
}

async function send(path: string, form: FormData, mode: Mode, headers: Record<string, string>) {
  const { bytes, contentType } = await multipartOf(form)
  const { body, state } = countingBody(bytes, CHUNK)
  const length: Record<string, string> = mode === 'content-length' ? { 'Content-Length': String(bytes.length) } : {}
  const init = {
    method: 'POST',
    body,
    duplex: 'half',
    redirect: 'manual',
    headers: { Origin: BASE, 'Content-Type': contentType, ...length, ...headers },
  }
  const res = await call(path, init as RequestInit)
  return { res, pulled: state.pulled, sent: bytes.length }
}

async function setup() {
  const { db } = testDb()
  const { f, web, customer } = await signedInCustomer(db)
  const kb = await f.knowledgeBase({ customerId: customer.id })
  const cookie = [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  const docsOf = () => db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.knowledgeBaseId, kb.id))
  return { path: `/knowledge/${kb.id}/documents`, cookie, token: web.csrf!, docsOf }
}

/** The form a browser sends from the upload page: the hidden `_csrf` first, then the files. */
function uploadForm(file: File, token?: string, tokenFirst = true) {
  const form = new FormData()
  if (token !== undefined && tokenFirst) form.append('_csrf', token)
  form.append('files', file)
  if (token !== undefined && !tokenFirst) form.append('_csrf', token)
  return form
}

const big = new File([textFile(2 * 1024 * 1024)], 'big.txt', { type: 'text/plain' })

describe.each<Mode>(['content-length', 'chunked'])('upload refused before its body is read (%s)', (mode) => {
  it('anonymous: redirected to log in, having read a few KB at most', async () => {
    const { path } = await setup()
    const { res, pulled, sent } = await send(path, uploadForm(big, 'whatever'), mode, {})
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toMatch(/^\/login/)
    expect(sent).toBeGreaterThan(2 * 1024 * 1024)
    expect(pulled).toBeLessThanOrEqual(READ_AHEAD)
  })

  it('cross-site, with the session cookie: 403, unread', async () => {
    const { path, cookie, token } = await setup()
    const { res, pulled } = await send(path, uploadForm(big, token), mode, {
      Cookie: cookie,
      Origin: 'https://evil.example',
    })
    expect(res.status).toBe(403)
    expect(pulled).toBeLessThanOrEqual(READ_AHEAD)
  })

  it.each([
    ['no token at all', uploadForm(big)],
    ['a wrong token first', uploadForm(big, 'forged-token')],
  ])('signed in, %s: 403 having read only the peek', async (_name, form) => {
    const { path, cookie, docsOf } = await setup()
    const { res, pulled } = await send(path, form, mode, { Cookie: cookie })
    expect(res.status).toBe(403)
    expect(pulled).toBeLessThanOrEqual(MULTIPART_PEEK_BYTES + READ_AHEAD)
    expect(await docsOf()).toEqual([])
  })

  it('signed in, a first field that does not end within the peek: 403, the peek read and no more', async () => {
    const { path, cookie, token } = await setup()
    const form = uploadForm(big, `${token}${'x'.repeat(4 * MULTIPART_PEEK_BYTES)}`)
    const { res, pulled } = await send(path, form, mode, { Cookie: cookie })
    expect(res.status).toBe(403)
    expect(pulled).toBeGreaterThanOrEqual(MULTIPART_PEEK_BYTES)
    expect(pulled).toBeLessThanOrEqual(MULTIPART_PEEK_BYTES + READ_AHEAD)
  })

  it('signed in, the right token only after the file: 403 (the token must come first)', async () => {
    const { path, cookie, token } = await setup()
    const { res, pulled } = await send(path, uploadForm(big, token, false), mode, { Cookie: cookie })
    expect(res.status).toBe(403)
    expect(pulled).toBeLessThanOrEqual(MULTIPART_PEEK_BYTES + READ_AHEAD)
  })
})

describe.each<Mode>(['content-length', 'chunked'])('upload accepted (%s)', (mode) => {
  // Past the peek: the route must still see every byte, the peeked ones included.
  const file = new File([textFile(3 * MULTIPART_PEEK_BYTES + 123)], 'notes.txt', { type: 'text/plain' })

  it.each([
    ['the `_csrf` field first', (token: string) => ({ form: uploadForm(file, token), headers: {} })],
    [
      'the X-CSRF-Token header',
      (token: string) => ({ form: uploadForm(file), headers: { 'X-CSRF-Token': token } as Record<string, string> }),
    ],
  ])('with %s: stored byte for byte', async (_name, build) => {
    const { path, cookie, token, docsOf } = await setup()
    const { form, headers } = build(token)
    const { res, pulled, sent } = await send(path, form, mode, { Cookie: cookie, ...headers })
    expect(res.status).toBe(303)
    expect(pulled).toBe(sent)
    const [doc] = await docsOf()
    expect(doc!.fileName).toBe('notes.txt')
    const stored = await bucket().get(doc!.filePath!)
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(new Uint8Array(await file.arrayBuffer()))
  })
})

describe('upload text checks, after the session', () => {
  it('a field holding a NUL: 422, a page naming the field, nothing stored', async () => {
    const { path, cookie, token, docsOf } = await setup()
    const form = uploadForm(new File(['hello'], 'hello.txt'), token)
    form.append('note', 'a\u0000b')
    const { res } = await send(path, form, 'content-length', { Cookie: cookie })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('The field &quot;note&quot; contains a character that cannot be stored')
    expect(await docsOf()).toEqual([])
  })
})
