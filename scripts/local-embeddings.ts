// A local, deterministic, OpenAI-compatible `/v1/embeddings` endpoint for offline
// development and tests. It is not a language model: it hashes words and word pairs
// into a 1536-dimension vector, so texts that share words land close together.
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base'

export const LOCAL_EMBEDDING_DIMENSIONS = 1536
export const MAX_INPUTS_PER_REQUEST = 2048
export const MAX_TOKENS_PER_REQUEST = 300_000
export const MAX_TOKENS_PER_INPUT = 8192

/**
 * Failure injection for retry tests, triggered by a marker inside an input:
 * `[[embeddings:429-once:<key>]]` answers 429 with `Retry-After: 1` the first time a key is seen;
 * `[[embeddings:503]]` always answers 503 with `retry-after-ms: 5`.
 * `GET /v1/_injected/429-once/<key>` answers `{ "requests_at": [...] }`: when (epoch ms) each request
 * with that key arrived, so a test can see how long the client waited before retrying.
 */
const RATE_LIMIT_ONCE = /\[\[embeddings:429-once:([\w-]+)\]\]/
const ALWAYS_UNAVAILABLE = '[[embeddings:503]]'

const bucketCache = new Map<string, [number, number]>()

function bucket(feature: string, dimensions: number): [number, number] {
  const key = `${dimensions}:${feature}`
  const cached = bucketCache.get(key)
  if (cached) return cached
  const digest = createHash('sha256').update(feature).digest()
  const result: [number, number] = [digest.readUInt32LE(0) % dimensions, digest[4]! & 1 ? 1 : -1]
  // Bounded: a memo for repeated words, not a store of everything ever embedded.
  if (bucketCache.size >= 500_000) bucketCache.clear()
  bucketCache.set(key, result)
  return result
}

export function embedLocally(text: string, dimensions = LOCAL_EMBEDDING_DIMENSIONS): Float32Array {
  const vector = new Float32Array(dimensions)
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  words.forEach((word, i) => {
    const [index, sign] = bucket(`w:${word}`, dimensions)
    vector[index]! += sign
    if (i > 0) {
      const [pairIndex, pairSign] = bucket(`p:${words[i - 1]} ${word}`, dimensions)
      vector[pairIndex]! += pairSign * 0.5
    }
  })
  if (words.length === 0) vector[0] = 1
  let norm = 0
  for (const v of vector) norm += v * v
  norm = Math.sqrt(norm)
  for (let i = 0; i < dimensions; i++) vector[i]! /= norm
  return vector
}

export interface LocalEmbeddingsServer {
  url: string
  /** Requests received, for tests that count embedding calls. */
  requests: Array<{ inputs: number }>
  stop(): Promise<void>
}

export async function startLocalEmbeddings(
  options: { host?: string; port?: number } = {},
): Promise<LocalEmbeddingsServer> {
  const host = options.host ?? '127.0.0.1'
  const requests: Array<{ inputs: number }> = []
  const rateLimitedKeys = new Set<string>()
  const rateLimitedRequestsAt = new Map<string, number[]>()
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    const injected = /\/_injected\/429-once\/([\w-]+)$/.exec(req.url ?? '')
    if (req.method === 'GET' && injected) {
      return send(200, { requests_at: rateLimitedRequestsAt.get(injected[1]!) ?? [] })
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/embeddings')) {
      return send(404, { error: { message: 'Only POST /v1/embeddings is served here', type: 'invalid_request_error' } })
    }
    let raw = ''
    for await (const chunk of req) raw += chunk
    let body: { input?: unknown; model?: string; encoding_format?: string; dimensions?: number }
    try {
      body = JSON.parse(raw)
    } catch {
      return send(400, { error: { message: 'Body must be JSON', type: 'invalid_request_error' } })
    }
    const inputs = typeof body.input === 'string' ? [body.input] : body.input
    if (
      !Array.isArray(inputs) ||
      inputs.length === 0 ||
      inputs.length > MAX_INPUTS_PER_REQUEST ||
      inputs.some((i) => typeof i !== 'string')
    ) {
      return send(400, {
        error: { message: "'input' must be a string or 1..2048 strings", type: 'invalid_request_error' },
      })
    }
    const texts = inputs as string[]
    if (texts.some((t) => t.includes(ALWAYS_UNAVAILABLE))) {
      res.setHeader('retry-after-ms', '5')
      return send(503, { error: { message: 'Injected failure: unavailable', type: 'server_error' } })
    }
    const rateLimitKey = texts.map((t) => RATE_LIMIT_ONCE.exec(t)?.[1]).find(Boolean)
    if (rateLimitKey)
      rateLimitedRequestsAt.set(rateLimitKey, [...(rateLimitedRequestsAt.get(rateLimitKey) ?? []), Date.now()])
    if (rateLimitKey && !rateLimitedKeys.has(rateLimitKey)) {
      rateLimitedKeys.add(rateLimitKey)
      res.setHeader('retry-after', '1')
      return send(429, { error: { message: 'Injected failure: rate limited', type: 'rate_limit_error' } })
    }
    const counts = texts.map((t) => countTokens(t, { disallowedSpecial: new Set() }))
    const tokens = counts.reduce((a, b) => a + b, 0)
    if (tokens > MAX_TOKENS_PER_REQUEST || counts.some((c) => c > MAX_TOKENS_PER_INPUT)) {
      return send(400, {
        error: {
          message: `Too many tokens: ${tokens} in this request (max ${MAX_TOKENS_PER_REQUEST}, ${MAX_TOKENS_PER_INPUT} per input)`,
          type: 'invalid_request_error',
        },
      })
    }
    requests.push({ inputs: inputs.length })
    const dimensions = body.dimensions ?? LOCAL_EMBEDDING_DIMENSIONS
    const data = texts.map((input, index) => {
      const vector = embedLocally(input, dimensions)
      const embedding =
        body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector)
      return { object: 'embedding', index, embedding }
    })
    send(200, {
      object: 'list',
      data,
      model: body.model ?? 'local-deterministic',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://${host}:${port}/v1`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
