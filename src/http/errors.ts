import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'

export const errorCodes = z.enum([
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNPROCESSABLE_ENTITY',
  'TOO_MANY_REQUESTS',
  'BAD_ENVIRONMENT',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
])
export type ErrorCode = z.infer<typeof errorCodes>

export const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_ENTITY: 422,
  TOO_MANY_REQUESTS: 429,
  BAD_ENVIRONMENT: 500,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
}

export const errorEnvelopeSchema = z.object({
  error: z.object({
    code: errorCodes,
    message: z.string(),
    request_id: z.string(),
    details: z.unknown().optional(),
  }),
})
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>

/**
 * A refusal by the HTTP layer itself (body limits, CSRF, the internal API's credentials, a request
 * that does not parse, a bad environment). The domain throws `DomainError`s instead (`src/errors.ts`).
 */
export class HttpError extends HTTPException {
  readonly code: ErrorCode
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(statusOf[code], { message, cause: options.cause })
    this.code = code
    this.details = options.details
  }
}

export function envelope(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorEnvelope {
  return { error: { code, message, request_id: requestId, ...(details === undefined ? {} : { details }) } }
}
