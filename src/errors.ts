import type { ZodError } from 'zod'

/**
 * What can go wrong in the domain, in the domain's words. Each error carries a message meant for the
 * person who caused it and, where there is one, what they can do next. `src/http/error-mapping.ts`
 * is the one place that turns these into statuses, envelope codes and error pages.
 */

/** Where a customer compares plans and upgrades. */
export const UPGRADE_URL = '/billing/'

/** Something the user can do about the error: a link on the error page. */
export interface NextStep {
  label: string
  href: string
}

export type DomainErrorKind =
  | 'not_found'
  | 'invalid_input'
  | 'unreadable'
  | 'unsupported_file_type'
  | 'too_large'
  | 'plan_limit_reached'
  | 'conflict'
  | 'provider_refused'
  | 'unavailable'

export abstract class DomainError extends Error {
  /** Lets the one mapper cover every kind (checked by the compiler); everywhere else, use `instanceof`. */
  abstract readonly kind: DomainErrorKind
  readonly nextStep?: NextStep

  constructor(message: string, options: { nextStep?: NextStep; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.nextStep = options.nextStep
  }
}

/** The thing does not exist, or belongs to someone else (never says which). */
export class NotFound extends DomainError {
  readonly kind = 'not_found'
  /** What was looked for ("Agent", "Knowledge base"...). */
  readonly what: string

  constructor(what: string, message = `${what} not found`) {
    super(message)
    this.what = what
  }
}

export interface FieldProblem {
  field: string
  message: string
}

/** The input breaks a rule the user can fix by changing it; `fields` says which fields, when known. */
export class InvalidInput extends DomainError {
  readonly kind = 'invalid_input'
  readonly fields: readonly FieldProblem[]

  constructor(message: string, fields: readonly FieldProblem[] = []) {
    super(message)
    this.fields = fields
  }

  /** The schema's first complaint as the message, every complaint by field. */
  static fromZod(error: ZodError, fallback: string): InvalidInput {
    const fields = error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }))
    return new InvalidInput(fields[0]?.message ?? fallback, fields)
  }
}

/** Content in a known format that cannot be used however often it is retried (a corrupt file, an odd event). */
export class Unreadable extends DomainError {
  readonly kind = 'unreadable'
}

/**
 * A file that would take more than a budget to read (bytes inflated, pages, operators, time): a
 * hostile or absurd file. Such a document stays failed when its customer re-indexes it; only an
 * operator (`ops documents retry`) gives it another run.
 */
export class ExtractionLimitExceeded extends Unreadable {}

/** A file of a type the app does not take, or whose bytes do not match its name. */
export class UnsupportedFileType extends DomainError {
  readonly kind = 'unsupported_file_type'
}

/** More than a rule allows at once (a file's size, a batch's length). */
export class TooLarge extends DomainError {
  readonly kind = 'too_large'
}

/** What a plan limits: a count, the storage, this period's tokens, or `plan` when there is no plan at all. */
export type PlanLimit = 'agents' | 'knowledge_bases' | 'documents' | 'document_storage_mb' | 'embedding_tokens' | 'plan'

/** The customer's plan (or having none) does not allow it; upgrading does. */
export class PlanLimitReached extends DomainError {
  readonly kind = 'plan_limit_reached'
  readonly limit: { name: PlanLimit; allowed: number | null; used: number }

  constructor(message: string, limit: PlanLimitReached['limit']) {
    super(message, { nextStep: { label: 'Compare plans and upgrade', href: UPGRADE_URL } })
    this.limit = limit
  }
}

/** The current state does not allow it (already done, gone meanwhile, switched off by billing...). */
export class Conflict extends DomainError {
  readonly kind = 'conflict'
}

/** An outside provider (an OAuth token endpoint, the consent screen) said no. */
export class ProviderRefused extends DomainError {
  readonly kind = 'provider_refused'
  /** The provider's OAuth error code (`invalid_grant`...), when it sent one. */
  readonly oauthError?: string

  constructor(message: string, oauthError?: string) {
    super(message)
    this.oauthError = oauthError
  }
}

/** Something the app depends on is down or not set up (Stripe, the embeddings service, a queue, a provider). */
export class Unavailable extends DomainError {
  readonly kind = 'unavailable'
}
