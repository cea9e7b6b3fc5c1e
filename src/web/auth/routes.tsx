import { zValidator } from '@hono/zod-validator'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { waitText } from '../../customers/attempt-limits'
import { logIn } from '../../customers/login'
import { signUp, signUpInput } from '../../customers/signup'
import type { HonoEnv } from '../../types'
import { sameOriginOnly, verifyCsrf } from '../shared/csrf'
import { field, localPath } from '../shared/forms'
import { currentSession, endSession, startSession } from '../shared/session'
import { formString, formText, type Invalid, showInvalid, textFields } from '../shared/validation'
import { LandingPage, LoginPage, SignupPage } from './pages'

const clientAddress = (header: string | undefined) => header?.trim() || 'unknown'

/** Any strings: a wrong or empty login is the domain's to answer (and to count). */
const loginForm = z.object({ email: formText, password: formString })
const signupForm = textFields(['company_name', 'email', 'password'], signUpInput)

function showSignupErrors(c: Context<HonoEnv>, { errors, values }: Invalid) {
  return c.render(
    <SignupPage
      values={{ company_name: field(values, 'company_name'), email: field(values, 'email') }}
      errors={errors}
    />,
    { title: 'Start your free trial' },
  )
}

export const authRoutes = new Hono<HonoEnv>()
  .get('/', async (c) => {
    if (await currentSession(c)) return c.redirect('/dashboard', 303)
    return c.render(<LandingPage />, { title: 'Welcome' })
  })
  .get('/signup', async (c) => {
    if (await currentSession(c)) return c.redirect('/dashboard', 303)
    return c.render(<SignupPage />, { title: 'Start your free trial' })
  })
  .post('/signup', sameOriginOnly(), zValidator('form', signupForm, showInvalid(showSignupErrors)), async (c) => {
    const input = c.req.valid('form')
    const values = { company_name: input.company_name, email: input.email }
    const result = await signUp(c.var.services.database.db, input, clientAddress(c.req.header('CF-Connecting-IP')))
    if (!result.ok && result.reason === 'throttled') {
      c.header('Retry-After', String(result.retryAfterSeconds))
      const error = `Too many sign-ups from your network. Please wait ${waitText(result.retryAfterSeconds)} and try again, or write to us if your team needs more accounts.`
      c.status(429)
      return c.render(<SignupPage values={values} error={error} />, { title: 'Start your free trial' })
    }
    if (!result.ok) {
      c.status(422)
      return c.render(<SignupPage values={values} errors={result.errors} />, { title: 'Start your free trial' })
    }
    await startSession(c, { id: result.userId, customerId: result.customerId })
    return c.redirect('/agents/new?welcome=1', 303)
  })
  .get('/login', async (c) => {
    const next = localPath(c.req.query('next'))
    if (await currentSession(c)) return c.redirect(next ?? '/dashboard', 303)
    const notice = c.req.query('logged_out') ? 'You are logged out.' : undefined
    return c.render(<LoginPage next={next} notice={notice} />, { title: 'Log in' })
  })
  .post('/login', sameOriginOnly(), zValidator('form', loginForm), async (c) => {
    const next = localPath(c.req.query('next'))
    const { email, password } = c.req.valid('form')
    const result = await logIn(c.var.services.database.db, {
      email,
      password,
      clientAddress: clientAddress(c.req.header('CF-Connecting-IP')),
    })
    if (!result.ok) {
      const throttled = result.reason === 'throttled'
      if (throttled) c.header('Retry-After', String(result.retryAfterSeconds))
      const error = throttled
        ? `Too many sign-in attempts. Please wait ${waitText(result.retryAfterSeconds)} and try again.`
        : 'The email or password is not correct.'
      c.status(throttled ? 429 : 401)
      return c.render(<LoginPage email={email} next={next} error={error} />, { title: 'Log in' })
    }
    await startSession(c, result.user)
    return c.redirect(next ?? '/dashboard', 303)
  })
  .post('/logout', sameOriginOnly(), async (c) => {
    const current = await currentSession(c)
    if (current) await verifyCsrf(c, current.session.csrfToken)
    await endSession(c)
    // Nothing of the account (e.g. a page that showed an API key) stays in this browser's cache or storage.
    c.header('Clear-Site-Data', '"cache", "storage"')
    return c.redirect('/login?logged_out=1', 303)
  })
