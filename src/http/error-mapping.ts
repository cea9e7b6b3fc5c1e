import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { DomainError, type DomainErrorKind, InvalidInput, type NextStep, PlanLimitReached } from '../errors'
import { type ErrorCode, HttpError, statusOf } from './errors'

/** How the HTTP layer answers an error: status, envelope code and details (JSON), heading and link (page). */
export interface ErrorResponse {
  status: ContentfulStatusCode
  code: ErrorCode
  message: string
  details?: unknown
  /** The error page's heading. */
  title: string
  /** A link on the error page to what the user can do about it. */
  nextStep?: NextStep
}

const domainKinds: Record<DomainErrorKind, { code: ErrorCode; title: string }> = {
  not_found: { code: 'NOT_FOUND', title: 'Page not found' },
  invalid_input: { code: 'BAD_REQUEST', title: 'Please check what you entered' },
  unreadable: { code: 'UNPROCESSABLE_ENTITY', title: 'This cannot be read' },
  unsupported_file_type: { code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported file type' },
  too_large: { code: 'PAYLOAD_TOO_LARGE', title: 'Too large' },
  plan_limit_reached: { code: 'FORBIDDEN', title: 'Plan limit reached' },
  conflict: { code: 'CONFLICT', title: 'This cannot be done now' },
  provider_refused: { code: 'BAD_REQUEST', title: 'The provider refused' },
  unavailable: { code: 'SERVICE_UNAVAILABLE', title: 'Temporarily unavailable' },
}

/** Headings of the HTTP layer's own refusals; any other code is "Something went wrong". */
const httpTitles: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: 'Page not found',
  FORBIDDEN: 'Not allowed',
  TOO_MANY_REQUESTS: 'Too many attempts',
  PAYLOAD_TOO_LARGE: 'Too large',
  UNPROCESSABLE_ENTITY: 'Please check what you entered',
  SERVICE_UNAVAILABLE: 'Temporarily unavailable',
}

const codeForStatus: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
}

function detailsOf(error: DomainError): unknown {
  if (error instanceof PlanLimitReached) {
    const { name, allowed, used } = error.limit
    return { limit: name, allowed, used, upgrade_url: error.nextStep?.href }
  }
  if (error instanceof InvalidInput && error.fields.length > 0) return error.fields
  return undefined
}

export function domainErrorResponse(error: DomainError): ErrorResponse {
  const { code, title } = domainKinds[error.kind]
  return {
    status: statusOf[code],
    code,
    message: error.message,
    details: detailsOf(error),
    title,
    nextStep: error.nextStep,
  }
}

export function httpErrorResponse(code: ErrorCode, message: string, details?: unknown): ErrorResponse {
  return { status: statusOf[code], code, message, details, title: httpTitles[code] ?? 'Something went wrong' }
}

/**
 * The answer for an error the app knows: a domain error, the HTTP layer's own refusal, or a 4xx hono
 * raised (a body that does not parse...). Null for anything else: a bug or an outage, answered by the
 * error handler after logging it.
 */
export function errorResponseFor(error: unknown): ErrorResponse | null {
  if (error instanceof DomainError) return domainErrorResponse(error)
  if (error instanceof HttpError) return httpErrorResponse(error.code, error.message, error.details)
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForStatus[error.status] ?? 'BAD_REQUEST'
    return httpErrorResponse(code, error.message || code.toLowerCase().replaceAll('_', ' '))
  }
  return null
}
