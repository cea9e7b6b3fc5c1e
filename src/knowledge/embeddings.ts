import OpenAI from 'openai'
import type { AppConfig } from '../env'
import { AppError } from '../errors'
import { EMBEDDING_MAX_INPUTS_PER_REQUEST, EMBEDDING_MAX_TOKENS_PER_REQUEST } from './limits'

export type EmbeddingsConfig = Pick<AppConfig, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_EMBEDDING_MODEL'>

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number
  baseDelayMs: number
  /** No single wait is longer, whatever `Retry-After` asks for. */
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500, maxDelayMs: 20_000 }

export interface BatchLimits {
  maxInputs: number
  maxTokens: number
}

export const API_BATCH_LIMITS: BatchLimits = {
  maxInputs: EMBEDDING_MAX_INPUTS_PER_REQUEST,
  maxTokens: EMBEDDING_MAX_TOKENS_PER_REQUEST,
}

export interface EmbeddingInput {
  text: string
  tokenCount: number
}

/** Consecutive `[start, end)` ranges of inputs, each within the per-request input and token limits. */
export function planBatches(
  tokenCounts: readonly number[],
  limits: BatchLimits = API_BATCH_LIMITS,
): Array<[number, number]> {
  const batches: Array<[number, number]> = []
  let start = 0
  let tokens = 0
  tokenCounts.forEach((count, i) => {
    if (i > start && (i - start >= limits.maxInputs || tokens + count > limits.maxTokens)) {
      batches.push([start, i])
      start = i
      tokens = 0
    }
    tokens += count
  })
  if (start < tokenCounts.length) batches.push([start, tokenCounts.length])
  return batches
}

/** Fewest requests any batching could use: neither limit can be beaten. */
export function minimumRequests(tokenCounts: readonly number[], limits: BatchLimits = API_BATCH_LIMITS): number {
  const total = tokenCounts.reduce((a, b) => a + b, 0)
  return Math.max(Math.ceil(tokenCounts.length / limits.maxInputs), Math.ceil(total / limits.maxTokens))
}

/** Built per call from the validated config: no client lives at module scope. */
export function embeddingsClient(config: EmbeddingsConfig): OpenAI {
  return new OpenAI({
    apiKey: config.OPENAI_API_KEY ?? 'not-set',
    baseURL: config.OPENAI_BASE_URL,
    // Retries are ours (below), so that every wait honours Retry-After and the policy.
    maxRetries: 0,
    timeout: 60_000,
  })
}

function decodeEmbedding(value: unknown): Float32Array {
  if (typeof value === 'string') {
    const binary = atob(value)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return new Float32Array(bytes.buffer)
  }
  if (Array.isArray(value)) return Float32Array.from(value as number[])
  throw new AppError('SERVICE_UNAVAILABLE', 'The embeddings service answered without an embedding')
}

const isRetryable = (error: unknown) =>
  error instanceof OpenAI.APIConnectionError ||
  (error instanceof OpenAI.APIError && (error.status === 429 || (error.status ?? 0) >= 500))

/** Seconds or an HTTP date in `Retry-After` (or OpenAI's `retry-after-ms`), as milliseconds. */
export function retryAfterMs(headers: Headers | undefined): number | null {
  const ms = Number(headers?.get('retry-after-ms'))
  if (headers?.get('retry-after-ms') && Number.isFinite(ms)) return Math.max(0, ms)
  const value = headers?.get('retry-after')
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt()
    } catch (error) {
      if (n >= policy.retries || !isRetryable(error)) throw error
      const asked = error instanceof OpenAI.APIError ? retryAfterMs(error.headers) : null
      const backoff = policy.baseDelayMs * 2 ** n * (0.75 + Math.random() * 0.5)
      await sleep(Math.min(asked ?? backoff, policy.maxDelayMs))
    }
  }
}

export interface EmbedOptions {
  retry?: RetryPolicy
  limits?: BatchLimits
  /** Called once per HTTP request that succeeded (for statistics). */
  onRequest?: (inputs: number) => void
}

/** Embeds texts in as few requests as the API limits allow, one request at a time. */
export async function embedTexts(
  config: EmbeddingsConfig,
  inputs: readonly EmbeddingInput[],
  options: EmbedOptions = {},
): Promise<Float32Array[]> {
  const client = embeddingsClient(config)
  const policy = options.retry ?? DEFAULT_RETRY
  const vectors: Float32Array[] = new Array(inputs.length)
  for (const [start, end] of planBatches(
    inputs.map((i) => i.tokenCount),
    options.limits,
  )) {
    const response = await withRetries(policy, () =>
      client.embeddings.create({
        model: config.OPENAI_EMBEDDING_MODEL,
        input: inputs.slice(start, end).map((i) => i.text),
        encoding_format: 'base64',
      }),
    )
    if (response.data.length !== end - start) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The embeddings service answered with the wrong number of vectors')
    }
    for (const item of response.data) vectors[start + item.index] = decodeEmbedding(item.embedding)
    options.onRequest?.(end - start)
  }
  return vectors
}

export async function embedQuery(config: EmbeddingsConfig, query: string, retry?: RetryPolicy): Promise<Float32Array> {
  const client = embeddingsClient(config)
  const response = await withRetries(retry ?? { ...DEFAULT_RETRY, retries: 2 }, () =>
    client.embeddings.create({ model: config.OPENAI_EMBEDDING_MODEL, input: query, encoding_format: 'base64' }),
  )
  const first = response.data[0]
  if (!first) throw new AppError('SERVICE_UNAVAILABLE', 'The embeddings service answered without an embedding')
  return decodeEmbedding(first.embedding)
}

/** pgvector's text form of a vector. */
export const toVectorLiteral = (vector: ArrayLike<number>) => `[${Array.prototype.join.call(vector, ',')}]`
