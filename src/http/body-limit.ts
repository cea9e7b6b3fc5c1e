import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { HonoEnv } from '../types'
import { HttpError } from './errors'

/** One route's (or a family of routes') largest accepted body. The first matching rule wins. */
export interface BodyLimitRule {
  method: string
  path: RegExp
  maxBytes: number
}

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`
const describe = (bytes: number) => (bytes >= 1024 * 1024 ? megabytes(bytes) : `${Math.round(bytes / 1024)} KB`)

/**
 * Caps every request body before anything reads it: a `Content-Length` over the limit is refused
 * at once, and a body without one (chunked) is counted as it streams and refused as soon as it
 * passes the limit. 413 in the envelope for the API and webhooks, a readable page for browsers.
 */
export function bodyLimits(rules: readonly BodyLimitRule[], fallbackBytes: number): MiddlewareHandler<HonoEnv> {
  const limiters = new Map<number, MiddlewareHandler<HonoEnv>>()
  const limiterFor = (maxBytes: number) => {
    let limiter = limiters.get(maxBytes)
    if (!limiter) {
      limiter = bodyLimit({
        maxSize: maxBytes,
        onError: () => {
          throw new HttpError('PAYLOAD_TOO_LARGE', `The request body is larger than ${describe(maxBytes)}.`, {
            details: { max_bytes: maxBytes },
          })
        },
      })
      limiters.set(maxBytes, limiter)
    }
    return limiter
  }
  return (c, next) => {
    const rule = rules.find((r) => r.method === c.req.method && r.path.test(c.req.path))
    return limiterFor(rule?.maxBytes ?? fallbackBytes)(c, next)
  }
}
