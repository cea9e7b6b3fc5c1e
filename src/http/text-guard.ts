import type { Context, MiddlewareHandler } from 'hono'
import { isStorableText, toStorableText } from '../platform/text'
import type { HonoEnv } from '../types'
import { HttpError } from './errors'

interface Problem {
  field: string
  message: string
}

const MESSAGE =
  'contains a character that cannot be stored (a NUL byte or an unpaired surrogate); remove it and try again'
/** Far deeper than any body the API documents (a usage batch is 4 levels deep). */
export const MAX_JSON_DEPTH = 64
/** Values and keys of one JSON body: a full usage batch (1,000 reports) has about 15,000. */
export const MAX_JSON_VALUES = 100_000

const isForm = (type: string) =>
  type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')
const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\b/.test(type)

/** Enough to show the customer what to fix; a body with a thousand bad strings is not walked for more. */
const MAX_PROBLEMS = 20
const note = (problems: Problem[], field: string) => {
  if (problems.length < MAX_PROBLEMS) problems.push({ field, message: MESSAGE })
}

function checkQuery(c: Context<HonoEnv>, problems: Problem[]) {
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (!isStorableText(name) || !isStorableText(value)) note(problems, name)
  }
}

async function checkForm(c: Context<HonoEnv>, problems: Problem[]) {
  // Cached by hono: the route's own readForm()/formData() reads the same parse. A body that does not
  // parse as the form it claims to be (e.g. multipart without a boundary) is refused here: the
  // failed parse stays in hono's cache, where zValidator would later meet it as an uncaught error.
  const body = await c.req.parseBody({ all: true }).catch(() => null)
  if (!body) throw new HttpError('BAD_REQUEST', 'This form could not be read. Please go back and send it again.')
  for (const [name, raw] of Object.entries(body)) {
    for (const value of [raw].flat()) {
      const text = typeof value === 'string' ? value : value instanceof File ? value.name : ''
      if (!isStorableText(name) || !isStorableText(text)) {
        note(problems, name)
        break
      }
    }
  }
}

/** A value still to look at; its path is built from `parent` only when it has a problem. */
interface Pending {
  value: unknown
  key: string
  parent: Pending | null
  depth: number
}

const pathOf = (item: Pending): string => {
  const keys: string[] = []
  for (let at: Pending | null = item; at?.parent; at = at.parent) keys.push(at.key)
  return keys.reverse().join('.') || '(body)'
}

/**
 * Walks a parsed JSON body with an explicit stack (a body nested 30,000 deep is only 60 KB, far past
 * the call stack), refusing one deeper than {@link MAX_JSON_DEPTH} or holding more than
 * {@link MAX_JSON_VALUES} values; with `checkText`, notes the keys and strings Postgres cannot store.
 */
function checkJsonShape(body: unknown, problems: Problem[], checkText: boolean) {
  const stack: Pending[] = [{ value: body, key: '', parent: null, depth: 0 }]
  let values = 0
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (++values > MAX_JSON_VALUES) {
      throw new HttpError(
        'BAD_REQUEST',
        `The JSON body holds more than ${MAX_JSON_VALUES} values; send less per request.`,
      )
    }
    const { value, depth } = item
    if (typeof value === 'string') {
      if (checkText && !isStorableText(value)) note(problems, pathOf(item))
      continue
    }
    if (!value || typeof value !== 'object') continue
    if (depth >= MAX_JSON_DEPTH) {
      throw new HttpError('BAD_REQUEST', `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`)
    }
    const children: [string, unknown][] = Array.isArray(value)
      ? value.map((child, i) => [String(i), child])
      : Object.entries(value)
    // Pushed last to first, so the walk (and the first problem it names) follows the document's order.
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i]!
      const pending = { value: child, key, parent: item, depth: depth + 1 }
      if (checkText && !isStorableText(key)) note(problems, pathOf(pending))
      stack.push(pending)
    }
  }
}

async function checkBody(c: Context<HonoEnv>, problems: Problem[], options: { checkText: boolean }) {
  const readsBody = c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.raw.body !== null
  if (!readsBody) return
  const type = (c.req.header('Content-Type') ?? '').toLowerCase()
  if (isForm(type)) {
    if (options.checkText) await checkForm(c, problems)
  } else if (isJson(type)) {
    // Cached by hono: the route's validator reads this same parse. One that fails is the validator's to answer.
    const parsed = await c.req.json().then(
      (value: unknown) => ({ value }),
      () => null,
    )
    if (parsed) checkJsonShape(parsed.value, problems, options.checkText)
  }
}

function refuse(problems: Problem[]) {
  const [first] = problems
  if (!first) return
  const field = toStorableText(first.field).slice(0, 80)
  throw new HttpError('UNPROCESSABLE_ENTITY', `The field "${field}" ${first.message}.`, {
    details: problems.map((p) => ({ field: toStorableText(p.field).slice(0, 80), message: p.message })),
  })
}

/**
 * Every text a client sends through a query string, a form (names, values, file names) or a JSON body
 * is text Postgres can store, or the request is refused here with 422 naming the field; a JSON body
 * too deep or too large to walk is refused with 400. A path holding such a character names no page
 * (404). Bodies of routes listed in `bodiesReadLater` are not read here: a signed webhook reads its
 * own, and routes that must authenticate before reading a body run {@link refuseUnstorableBody} then.
 */
export const refuseUnstorableText =
  (options: { bodiesReadLater: readonly RegExp[] }): MiddlewareHandler<HonoEnv> =>
  async (c, next) => {
    if (!isStorableText(c.req.path)) throw new HttpError('NOT_FOUND', 'There is no page at this address.')
    const problems: Problem[] = []
    checkQuery(c, problems)
    if (problems.length === 0 && !options.bodiesReadLater.some((p) => p.test(c.req.path))) {
      await checkBody(c, problems, { checkText: true })
    }
    refuse(problems)
    await next()
  }

/**
 * The body checks of {@link refuseUnstorableText}, for a route that reads its body only once the caller
 * is known (the internal API after its service secret, an upload after the session and CSRF token).
 * Routes in `textCheckedByRoute` refuse bad text item by item themselves (a usage batch): their JSON
 * is only held to the depth and size bounds.
 */
export const refuseUnstorableBody =
  (options: { textCheckedByRoute?: readonly RegExp[] } = {}): MiddlewareHandler<HonoEnv> =>
  async (c, next) => {
    const problems: Problem[] = []
    const checkText = !options.textCheckedByRoute?.some((p) => p.test(c.req.path))
    await checkBody(c, problems, { checkText })
    refuse(problems)
    await next()
  }
