import type { Context } from 'hono'
import { HttpError } from './errors'

/** How much of a multipart body may be read to find its first field, before anything else reads it. */
export const MULTIPART_PEEK_BYTES = 8 * 1024

/** RFC 2046: 1 to 70 characters, quoted when it holds a character a token cannot. */
const BOUNDARY = /;\s*boundary=(?:"([^"\r\n]{1,70})"|([^\s;"]{1,70}))/i
/** A plain field: a file part has `; filename="..."` after its name, and no field name needs a quote. */
const FIELD_DISPOSITION = /^content-disposition:[ \t]*form-data;[ \t]*name="([^"]*)"[ \t]*$/i

export interface PeekedField {
  name: string
  value: string
}

/**
 * Reads until `judge` has its answer (`undefined`: it needs more bytes) or `limit` bytes are read,
 * never more: a BYOB read fills only the room it is given. The stream stays open for the rest.
 */
async function readUntil<T>(
  body: ReadableStream<Uint8Array>,
  limit: number,
  judge: (head: Uint8Array) => T | undefined,
): Promise<{ head: Uint8Array; answer: T | undefined }> {
  const reader = body.getReader({ mode: 'byob' })
  let buffer = new Uint8Array(limit)
  let filled = 0
  let answer: T | undefined
  try {
    while (filled < limit && answer === undefined) {
      const { done, value } = await reader.read(buffer.subarray(filled))
      if (!value) break
      // A BYOB read hands back the buffer it filled (the old one is detached): keep the new one.
      buffer = new Uint8Array(value.buffer)
      filled += value.byteLength
      answer = judge(buffer.subarray(0, filled))
      if (done) break
    }
  } finally {
    reader.releaseLock()
  }
  return { head: buffer.subarray(0, filled), answer }
}

/** The peeked bytes, then every byte the stream still holds: the body as it was sent. */
function prepend(head: Uint8Array, rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = rest.getReader()
  let headSent = head.byteLength === 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headSent) {
        headSent = true
        controller.enqueue(head)
        return
      }
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
}

/**
 * The first part of a multipart body: the field, null when it is no plain field (a file, a preamble),
 * or undefined when `head` does not hold all of it yet.
 */
export function firstField(head: Uint8Array, boundary: string): PeekedField | null | undefined {
  // Decoding may turn a character cut at the end of `head` into U+FFFD: only text before the
  // next delimiter is used, which is whole.
  const text = new TextDecoder().decode(head)
  const delimiter = `--${boundary}`
  const start = `${delimiter}\r\n`
  // Browsers send no preamble: the body starts with the first delimiter.
  if (!text.startsWith(start.slice(0, text.length))) return null
  const headersEnd = text.indexOf('\r\n\r\n', start.length)
  if (headersEnd < 0) return undefined
  const disposition = text
    .slice(start.length, headersEnd)
    .split('\r\n')
    .map((line) => FIELD_DISPOSITION.exec(line))
    .find((match) => match !== null)
  if (!disposition) return null
  const valueEnd = text.indexOf(`\r\n${delimiter}`, headersEnd + 4)
  if (valueEnd < 0) return undefined
  return { name: disposition[1]!, value: text.slice(headersEnd + 4, valueEnd) }
}

/**
 * The first field of a `multipart/form-data` body, read from the stream up to the end of that part
 * and never past {@link MULTIPART_PEEK_BYTES}, so that it can be checked (a CSRF token) before the
 * body is parsed. `c.req.raw` is then a request whose body still holds every byte sent, the peeked
 * ones first: the route parses the very bytes that were checked. Null when the body is not
 * multipart, has already been read, or its first part is not a plain field complete within the peek.
 */
export async function peekFirstMultipartField(c: Context): Promise<PeekedField | null> {
  const type = c.req.header('Content-Type') ?? ''
  const boundary = BOUNDARY.exec(type)
  const body = c.req.raw.body
  if (!/^multipart\/form-data\b/i.test(type) || !boundary || !body || c.req.raw.bodyUsed) return null
  const boundaryText = (boundary[1] ?? boundary[2])!
  const { head, answer } = await readUntil(body, MULTIPART_PEEK_BYTES, (bytes) =>
    firstField(bytes, boundaryText),
  ).catch((error: unknown) => {
    throw new HttpError('BAD_REQUEST', 'This form could not be read. Please go back and send it again.', {
      cause: error,
    })
  })
  c.req.raw = new Request(c.req.raw, { body: prepend(head, body) })
  return answer ?? null
}
