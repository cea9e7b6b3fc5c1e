import OpenAI from 'openai'
import type { AppConfig } from '../env'
import { Unavailable } from '../errors'
import { base64ToBytes } from '../platform/encoding'
import { EMBEDDING_MAX_INPUTS_PER_REQUEST, EMBEDDING_MAX_TOKENS_PER_REQUEST } from './limits'

export type EmbeddingsConfig = Pick<AppConfig, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'OPENAI_EMBEDDING_MODEL'>

/**
 * Attempts after the first one, made by the OpenAI SDK: on a connection error, a timeout, 408, 409,
 * 429 or 5xx, it waits what `retry-after-ms` / `Retry-After` asks, else backs off exponentially
 * (0.5 s doubling, at most 8 s). After the last one the error goes up, and the document queue
 * retries the message later with its own backoff.
 */
export const DOCUMENT_EMBEDDING_RETRIES = 4
/** A search waits for its query's embedding: fewer attempts than a document in the queue. */
export const QUERY_EMBEDDING_RETRIES = 2
/** Per attempt. */
export const EMBEDDING_REQUEST_TIMEOUT_MS = 60_000

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
export function embeddingsClient(config: EmbeddingsConfig, maxRetries = DOCUMENT_EMBEDDING_RETRIES): OpenAI {
  return new OpenAI({
    apiKey: config.OPENAI_API_KEY ?? 'not-set',
    baseURL: config.OPENAI_BASE_URL,
    maxRetries,
    timeout: EMBEDDING_REQUEST_TIMEOUT_MS,
  })
}

function decodeEmbedding(value: unknown): Float32Array {
  if (typeof value === 'string') return new Float32Array(base64ToBytes(value).buffer)
  if (Array.isArray(value)) return Float32Array.from(value as number[])
  throw new Unavailable('The embeddings service answered without an embedding')
}

export interface EmbedOptions {
  /** Attempts after the first one, per request (default {@link DOCUMENT_EMBEDDING_RETRIES}). */
  maxRetries?: number
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
  const client = embeddingsClient(config, options.maxRetries)
  const vectors: Float32Array[] = new Array(inputs.length)
  for (const [start, end] of planBatches(
    inputs.map((i) => i.tokenCount),
    options.limits,
  )) {
    const response = await client.embeddings.create({
      model: config.OPENAI_EMBEDDING_MODEL,
      input: inputs.slice(start, end).map((i) => i.text),
      encoding_format: 'base64',
    })
    if (response.data.length !== end - start) {
      throw new Unavailable('The embeddings service answered with the wrong number of vectors')
    }
    for (const item of response.data) vectors[start + item.index] = decodeEmbedding(item.embedding)
    options.onRequest?.(end - start)
  }
  return vectors
}

export async function embedQuery(
  config: EmbeddingsConfig,
  query: string,
  maxRetries = QUERY_EMBEDDING_RETRIES,
): Promise<Float32Array> {
  const client = embeddingsClient(config, maxRetries)
  const response = await client.embeddings.create({
    model: config.OPENAI_EMBEDDING_MODEL,
    input: query,
    encoding_format: 'base64',
  })
  const first = response.data[0]
  if (!first) throw new Unavailable('The embeddings service answered without an embedding')
  return decodeEmbedding(first.embedding)
}

/** pgvector's text form of a vector. */
export const toVectorLiteral = (vector: ArrayLike<number>) => `[${Array.prototype.join.call(vector, ',')}]`
