import type { Context } from 'hono'
import { z } from 'zod'
import type { HonoEnv } from '../../types'
import { type FormValues, formValues } from './forms'

/** The first message for each field of a failed parse, by the field's name (`path[0]`). */
export type FieldErrors = Record<string, string>

/** An invalid form or query as its page shows it again: the errors, and what was typed (strings only). */
export interface Invalid {
  errors: FieldErrors
  values: FormValues
}

const lastString = (value: unknown) => {
  const last = Array.isArray(value) ? value.at(-1) : value
  return typeof last === 'string' ? last : ''
}

/** A form field as the browser sent it: the last value when repeated; '' when missing or a file. */
export const formString = z.preprocess(lastString, z.string())
/** A text input: {@link formString}, trimmed. */
export const formText = z.preprocess(lastString, z.string().trim())

/** A text input handed to `schema` trimmed, or as `undefined` when empty (e.g. `z.coerce.number()`). */
export const formInput = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => lastString(value).trim() || undefined, schema)

/** The named fields of a submitted form, each as {@link formString} reads it. */
export function formStrings<N extends string>(raw: unknown, names: readonly N[]): Record<N, string> {
  const form = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {}
  return Object.fromEntries(names.map((name) => [name, lastString(form[name])])) as Record<N, string>
}

/** A form whose named fields (as strings) are checked by a domain schema, e.g. `textFields(['email'], signUpInput)`. */
export const textFields = <S extends z.ZodType>(names: readonly string[], schema: S) =>
  z.preprocess((raw) => formStrings(raw, names), schema)

function fieldErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const errors: FieldErrors = {}
  for (const issue of issues) errors[String(issue.path[0] ?? '')] ??= issue.message
  return errors
}

type ValidationResult =
  | { success: true }
  | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }; data: unknown }

/**
 * The web app's one `zValidator` hook: an invalid form (or query) re-renders its page with the
 * errors and what was typed, with status 422 unless the page has always answered otherwise:
 * `zValidator('form', schema, showInvalid((c, invalid) => c.render(<Page {...invalid} />, {...})))`.
 */
export function showInvalid(
  rerender: (c: Context<HonoEnv>, invalid: Invalid) => Response | Promise<Response>,
  status: 400 | 422 = 422,
) {
  // `Context` untyped: zValidator, called on its own, does not know the app's env.
  return async (result: ValidationResult, c: Context) => {
    if (result.success) return
    c.status(status)
    return rerender(c, { errors: fieldErrors(result.error.issues), values: formValues(result.data) })
  }
}
