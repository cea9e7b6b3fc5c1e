import { z } from 'zod'
import { type FieldSpec, fieldLabel } from './schema'

export type FieldValue = string | number | boolean
export type SubmittedForm = Record<string, string | string[]>

export interface StepValidation {
  /** Valid, typed values (empty optional fields left out; checkboxes always present). */
  values: Record<string, FieldValue>
  /** Field name → message, shown beside the field. */
  errors: Record<string, string>
  /** What was typed, to re-render the form with the user's input kept. */
  raw: Record<string, string>
}

const email = z.email()
const MAX_INPUT = 10_000

function lastValue(form: SubmittedForm, name: string): string | undefined {
  const value = form[name]
  return Array.isArray(value) ? value.at(-1) : value
}

function validUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.')
  } catch {
    return false
  }
}

function checkText(f: FieldSpec, value: string): string | null {
  const label = fieldLabel(f)
  if (value.length > MAX_INPUT) return `${label} is too long`
  if (f.min_length !== undefined && value.length < f.min_length) {
    return `${label} must be at least ${f.min_length} characters`
  }
  if (f.max_length !== undefined && value.length > f.max_length) {
    return `${label} must be at most ${f.max_length} characters`
  }
  if (f.type === 'email' && !email.safeParse(value).success) return 'Enter a valid email address'
  if (f.type === 'url' && !validUrl(value)) return 'Enter a full web address starting with https://'
  if (f.pattern && !new RegExp(`^(?:${f.pattern})$`, 'u').test(value)) {
    return f.help
      ? `${label} does not match the expected format: ${f.help}`
      : `${label} does not match the expected format`
  }
  return null
}

function checkField(f: FieldSpec, rawValue: string | undefined): { value?: FieldValue; error?: string } {
  const label = fieldLabel(f)
  if (f.type === 'checkbox') {
    const checked = rawValue !== undefined && rawValue !== '' && rawValue !== 'false'
    if (f.required && !checked) return { value: false, error: `${label} is required` }
    return { value: checked }
  }
  const value = (rawValue ?? '').trim()
  if (value === '') return f.required ? { error: `${label} is required` } : {}
  if (f.type === 'number') {
    const n = Number(value)
    if (!Number.isFinite(n)) return { error: `${label} must be a number` }
    if (f.min !== undefined && n < f.min) return { error: `${label} must be at least ${f.min}` }
    if (f.max !== undefined && n > f.max) return { error: `${label} must be at most ${f.max}` }
    return { value: n }
  }
  if (f.type === 'select') {
    if (!f.options?.some((o) => o.value === value)) return { error: `Choose one of the options for ${label}` }
    return { value }
  }
  const error = checkText(f, value)
  return error ? { error } : { value }
}

/** Validates a step's submitted fields against the schema: required, types, min/max, lengths, pattern, options. */
export function validateFields(fields: FieldSpec[], form: SubmittedForm): StepValidation {
  const result: StepValidation = { values: {}, errors: {}, raw: {} }
  for (const f of fields) {
    const rawValue = lastValue(form, f.name)
    if (rawValue !== undefined) result.raw[f.name] = rawValue.slice(0, MAX_INPUT)
    const { value, error } = checkField(f, rawValue)
    if (error) result.errors[f.name] = error
    else if (value !== undefined) result.values[f.name] = value
  }
  return result
}

/** Saved values as the form strings they came from (for re-checking saved data and re-rendering). */
export function asForm(fields: FieldSpec[], data: Record<string, unknown>): SubmittedForm {
  const form: SubmittedForm = {}
  for (const f of fields) {
    const value = data[f.name]
    if (value === undefined || value === null || value === false) continue
    form[f.name] = value === true ? 'on' : String(value)
  }
  return form
}
