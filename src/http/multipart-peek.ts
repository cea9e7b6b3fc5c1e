import type { Context } from 'hono'

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

/** Reads up to `limit` bytes (fewer at the end of the stream), exactly, with the stream left open for the rest. */
async function readUpTo(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader({ mode: 'byob' })
  let head = new Uint8Array(limit)
  let filled = 0
  try {
    while (filled < limit) {
      const { done, value } = await reader.read(head.subarray(filled))
      if (!value) break
      // A BYOB read hands back the buffer it filled (the old one is detached): keep the new one.
      head = new Uint8Array(value.buffer)
      filled += value.byteLength
      if (done) break
    }
  } finally {
    reader.releaseLock()
  }
  return head.subarray(0, filled)
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

/** The first part of a multipart body, if it is a plain field wholly inside `head`. */
export function firstField(head: Uint8Array, boundary: string): PeekedField | null {
  // Decoding may turn a character cut at the end of the peek into U+FFFD: only whole lines before it are used.
  const text = new TextDecoder().decode(head)
  const delimiter = `--${boundary}`
  // Browsers send no preamble: the body starts with the first delimiter.
  if (!text.startsWith(`${delimiter}\r\n`)) return null
  const headersStart = delimiter.length + 2
  const headersEnd = text.indexOf('\r\n\r\n', headersStart)
  if (headersEnd < 0) return null
  const valueEnd = text.indexOf(`\r\n${delimiter}`, headersEnd + 4)
  if (valueEnd < 0) return null
  for (const line of text.slice(headersStart, headersEnd).split('\r\n')) {
    const disposition = FIELD_DISPOSITION.exec(line)
    if (disposition) return { name: disposition[1]!, value: text.slice(headersEnd + 4, valueEnd) }
  }
  return null
}

/**
 * The first field of a `multipart/form-data` body, read from at most {@link MULTIPART_PEEK_BYTES}
 * of the stream, so that it can be checked (a CSRF token) before the body is parsed. `c.req.raw` is
 * then a request whose body still holds every byte sent, the peeked ones first: the route parses the
 * very bytes that were checked. Null when the body is not multipart, has already been read, or its
 * first part is not a plain field complete within the peek.
 */
export async function peekFirstMultipartField(c: Context): Promise<PeekedField | null> {
  const type = c.req.header('Content-Type') ?? ''
  const boundary = BOUNDARY.exec(type)
  const body = c.req.raw.body
  if (!/^multipart\/form-data\b/i.test(type) || !boundary || !body || c.req.raw.bodyUsed) return null
  const head = await readUpTo(body, MULTIPART_PEEK_BYTES)
  c.req.raw = new Request(c.req.raw, { body: prepend(head, body) })
  return firstField(head, (boundary[1] ?? boundary[2])!)
}
