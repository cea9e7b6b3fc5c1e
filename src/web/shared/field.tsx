import type { Child, FC } from 'hono/jsx'
import { type FieldSpec, fieldLabel } from '../../agents/onboarding/schema'

interface FieldProps {
  field: FieldSpec
  value?: string
  error?: string
}

const inputType = { text: 'text', email: 'email', url: 'url', number: 'number' } as const

/** One schema field as a labelled input, with its help text and error beside it. */
export const SchemaField: FC<FieldProps> = ({ field: f, value, error }) => {
  const id = `field-${f.name}`
  const describedBy = [f.help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  const common = {
    id,
    name: f.name,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy,
    required: f.required || undefined,
  }
  const label = fieldLabel(f)
  const help = f.help ? (
    <p class="help" id={`${id}-help`}>
      {f.help}
    </p>
  ) : null
  const errorText = error ? (
    <p class="error" id={`${id}-error`}>
      {error}
    </p>
  ) : null

  if (f.type === 'checkbox') {
    return (
      <div class={`field check${error ? ' invalid' : ''}`}>
        <label for={id}>
          <input type="checkbox" {...common} checked={Boolean(value) && value !== 'false'} />
          {label}
          {f.required ? null : <span class="optional">(optional)</span>}
        </label>
        {help}
        {errorText}
      </div>
    )
  }

  let control: Child
  if (f.type === 'textarea') {
    control = (
      <textarea {...common} placeholder={f.placeholder} maxlength={f.max_length} rows={4}>
        {value ?? ''}
      </textarea>
    )
  } else if (f.type === 'select') {
    control = (
      <select {...common}>
        <option value="">Choose…</option>
        {(f.options ?? []).map((o) => (
          <option value={o.value} selected={o.value === value}>
            {o.label}
          </option>
        ))}
      </select>
    )
  } else {
    control = (
      <input
        type={inputType[f.type]}
        {...common}
        value={value ?? ''}
        placeholder={f.placeholder}
        maxlength={f.max_length}
        minlength={f.min_length}
        min={f.min}
        max={f.max}
        step={f.type === 'number' ? 'any' : undefined}
      />
    )
  }
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>
        {label} {f.required ? null : <span class="optional">(optional)</span>}
      </label>
      {control}
      {help}
      {errorText}
    </div>
  )
}

interface PlainFieldProps {
  name: string
  label: string
  value?: string
  error?: string
  help?: string
  /** Required unless told otherwise; an optional field says so beside its label. */
  required?: boolean
}

/** The label, help and error around one of the app's own controls, with the ids that tie them together. */
const PlainField: FC<
  PlainFieldProps & { children: (attrs: Record<string, string | boolean | undefined>) => Child }
> = ({ name, label, error, help, required = true, children }) => {
  const id = `field-${name}`
  const describedBy = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>
        {label} {required ? null : <span class="optional">(optional)</span>}
      </label>
      {children({
        id,
        name,
        required: required || undefined,
        'aria-invalid': error ? 'true' : undefined,
        'aria-describedby': describedBy,
      })}
      {help ? (
        <p class="help" id={`${id}-help`}>
          {help}
        </p>
      ) : null}
      {error ? (
        <p class="error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** A plain labelled input for the app's own forms (log in, sign up, knowledge bases, ...). */
export const TextField: FC<
  PlainFieldProps & {
    type?: 'text' | 'email' | 'password' | 'url'
    autocomplete?: string
    maxlength?: number
  }
> = ({ type = 'text', value, autocomplete, maxlength, ...field }) => (
  <PlainField {...field}>
    {(attrs) => (
      <input
        {...attrs}
        type={type}
        value={type === 'password' ? undefined : (value ?? '')}
        autocomplete={autocomplete}
        maxlength={maxlength}
      />
    )}
  </PlainField>
)

export const TextAreaField: FC<PlainFieldProps & { maxlength?: number; rows?: number }> = ({
  value,
  maxlength,
  rows = 5,
  ...field
}) => (
  <PlainField {...field}>
    {(attrs) => (
      <textarea {...attrs} maxlength={maxlength} rows={rows}>
        {value ?? ''}
      </textarea>
    )}
  </PlainField>
)

export const SelectField: FC<PlainFieldProps & { options: ReadonlyArray<{ value: string; label: string }> }> = ({
  value,
  options,
  ...field
}) => (
  <PlainField {...field}>
    {(attrs) => (
      <select {...attrs}>
        {options.map((o) => (
          <option value={o.value} selected={o.value === value}>
            {o.label}
          </option>
        ))}
      </select>
    )}
  </PlainField>
)
