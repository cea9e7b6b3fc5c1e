// Request bodies built to hurt the request edge (src/http/, src/web/shared/): made in the test.

/** `[[[...1...]]]` nested `depth` deep: 2 bytes a level, so 30,000 levels are 60 KB. */
export const deepJsonArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`

/** `{"a":{"a":...}}` nested `depth` deep. */
export const deepJsonObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

/** A flat JSON array of `count` numbers: 2 bytes a value. */
export const wideJsonArray = (count: number) => `[${new Array(count).fill('0').join(',')}]`

/**
 * A request body produced only as it is read, `chunkBytes` at a time, so a test sees how much of it
 * the Worker pulled. `bytes` is what it sends (cut into chunks), e.g. a multipart body.
 */
export function countingBody(bytes: Uint8Array, chunkBytes = 1024) {
  const state = { pulled: 0 }
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled >= bytes.byteLength) return controller.close()
        const chunk = bytes.slice(state.pulled, state.pulled + chunkBytes)
        state.pulled += chunk.byteLength
        controller.enqueue(chunk)
      },
    },
    { highWaterMark: 1 },
  )
  return { body, state }
}

/** A multipart body as a browser sends it: its bytes and its Content-Type (with the boundary). */
export async function multipartOf(form: FormData): Promise<{ bytes: Uint8Array; contentType: string }> {
  const res = new Response(form)
  return { bytes: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get('Content-Type')! }
}
