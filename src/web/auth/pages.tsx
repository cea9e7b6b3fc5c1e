import type { FC } from 'hono/jsx'
import { TextField } from '../shared/field'

export const LandingPage: FC = () => (
  <section class="card narrow">
    <h1>AI agents for your customers, set up in minutes</h1>
    <p>
      Pick an agent type, answer a few questions, connect your documents, and embed the agent on your site. EchoForge
      Hub runs the rules, the knowledge and the billing behind it.
    </p>
    <div class="actions">
      <a class="button" href="/signup">
        Start free trial
      </a>
      <a href="/login">Log in</a>
    </div>
  </section>
)

export interface LoginProps {
  email?: string
  next?: string | null
  error?: string
  notice?: string
}

export const LoginPage: FC<LoginProps> = ({ email, next, error, notice }) => (
  <section class="card narrow">
    <h1>Log in</h1>
    {notice ? (
      <div class="notice ok" role="status">
        <p>{notice}</p>
      </div>
    ) : null}
    {error ? (
      <div class="notice bad" role="alert">
        <p>{error}</p>
      </div>
    ) : null}
    <form method="post" action={next ? `/login?next=${encodeURIComponent(next)}` : '/login'} novalidate>
      <TextField name="email" label="Email" type="email" value={email} autocomplete="username" />
      <TextField name="password" label="Password" type="password" autocomplete="current-password" />
      <div class="actions">
        <button type="submit">Log in</button>
        <span class="push muted small">
          New here? <a href="/signup">Start a free trial</a>
        </span>
      </div>
    </form>
  </section>
)

const SIGNUP_FIELDS = [
  { name: 'company_name', label: 'Company name', autocomplete: 'organization' },
  { name: 'email', label: 'Work email', type: 'email', autocomplete: 'email' },
  {
    name: 'password',
    label: 'Password',
    type: 'password',
    autocomplete: 'new-password',
    help: 'At least 10 characters.',
  },
] as const

type SignupField = (typeof SIGNUP_FIELDS)[number]['name']

export interface SignupProps {
  /** What the customer typed, shown again; a password never is (TextField leaves it out). */
  values?: Partial<Record<SignupField, string>>
  errors?: Partial<Record<SignupField, string>>
  /** A refusal of the whole form (too many sign-ups), shown above it. */
  error?: string
}

export const SignupPage: FC<SignupProps> = ({ values = {}, errors = {}, error }) => (
  <section class="card narrow">
    <h1>Start your free trial</h1>
    <p class="muted">No card needed. Your trial starts as soon as your account is created.</p>
    {error ? (
      <div class="notice bad" role="alert">
        <p>{error}</p>
      </div>
    ) : Object.keys(errors).length > 0 ? (
      <div class="notice bad" role="alert">
        <p>Please fix the fields marked below.</p>
      </div>
    ) : null}
    <form method="post" action="/signup" novalidate>
      {SIGNUP_FIELDS.map((field) => (
        <TextField {...field} value={values[field.name]} error={errors[field.name]} />
      ))}
      <div class="actions">
        <button type="submit">Create account</button>
        <span class="push muted small">
          Have an account? <a href="/login">Log in</a>
        </span>
      </div>
    </form>
  </section>
)
