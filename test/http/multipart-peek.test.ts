// The first part of a multipart body, judged from the bytes peeked so far (src/http/multipart-peek.ts).
import { describe, expect, it } from 'vitest'
import { firstField } from '../../src/http/multipart-peek'
import { multipartOf } from '../support/bombs/request-edge'

const bytes = (text: string) => new TextEncoder().encode(text)
const part = (headers: string, value: string) => `--b0\r\n${headers}\r\n\r\n${value}\r\n--b0`

describe('firstField', () => {
  it('reads the field a browser sends first, whatever the case of the header', () => {
    expect(firstField(bytes(part('Content-Disposition: form-data; name="_csrf"', 'tok')), 'b0')).toEqual({
      name: '_csrf',
      value: 'tok',
    })
    expect(firstField(bytes(part('content-disposition: form-data; name="_csrf"', 'tok')), 'b0')?.value).toBe('tok')
  })

  it('is null for a file part or a body that does not start with the delimiter', () => {
    const file = part('Content-Disposition: form-data; name="_csrf"; filename="t.txt"\r\nContent-Type: text/plain', 't')
    expect(firstField(bytes(file), 'b0')).toBeNull()
    expect(
      firstField(bytes(`preamble\r\n${part('Content-Disposition: form-data; name="_csrf"', 't')}`), 'b0'),
    ).toBeNull()
    expect(firstField(bytes(part('Content-Disposition: form-data; name="_csrf"', 't')), 'other')).toBeNull()
  })

  it('asks for more while the part is not complete', () => {
    const whole = part('Content-Disposition: form-data; name="_csrf"', 'token-value')
    for (const cut of [1, 5, 20, whole.length - 5]) expect(firstField(bytes(whole.slice(0, cut)), 'b0')).toBeUndefined()
  })

  it('reads what workerd’s own FormData sends', async () => {
    const form = new FormData()
    form.append('_csrf', 'abc-123')
    form.append('files', new File(['é'.repeat(5000)], 'x.txt'))
    const { bytes: body, contentType } = await multipartOf(form)
    const boundary = /boundary=(.+)$/.exec(contentType)![1]!
    expect(firstField(body.subarray(0, 300), boundary)).toEqual({ name: '_csrf', value: 'abc-123' })
  })
})
