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
const MAX_JSON_STRINGS = 100_000

const isForm = (type: string) =>
  type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')
const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\b/.test(type)

function checkQuery(c: Context<HonoEnv>, problems: Problem[]) {
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (!isStorableText(name) || !isStorableText(value)) problems.push({ field: name, message: MESSAGE })
  }
}

async function checkForm(c: Context<HonoEnv>, problems: Problem[]) {
  // Cached by hono: the route's own readForm()/formData() reads the same parse. A body that does
  // not parse as the form it claims to be (e.g. multipart without a boundary) is refused here: the
  // failed parse stays in hono's cache, where zValidator would later meet it as an uncaught error.
  const body = await c.req.parseBody({ all: true }).catch(() => null)
  if (!body) throw new HttpError('BAD_REQUEST', 'This form could not be read. Please go back and send it again.')
  for (const [name, raw] of Object.entries(body)) {
    for (const value of [raw].flat()) {
      const text = typeof value === 'string' ? value : value instanceof File ? value.name : ''
      if (!isStorableText(name) || !isStorableText(text)) {
        problems.push({ field: name, message: MESSAGE })
        break
      }
    }
  }
}

function checkJson(value: unknown, path: string, problems: Problem[], budget: { strings: number }) {
  if (problems.length > 0 || budget.strings-- <= 0) return
  if (typeof value === 'string') {
    if (!isStorableText(value)) problems.push({ field: path || '(body)', message: MESSAGE })
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJson(item, path ? `${path}.${i}` : String(i), problems, budget)
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key
      if (!isStorableText(key)) problems.push({ field: at, message: MESSAGE })
      else checkJson(item, at, problems, budget)
    }
  }
}

/**
 * Every text a client sends through a query string, a form (names, values, file names) or a JSON body
 * is text Postgres can store, or the request is refused here with 422 naming the field. A path holding
 * such a character names no page (404). Routes listed in `ownBodies` read their bodies themselves
 * (a signed webhook; a batch that rejects bad items one by one).
 */
export const refuseUnstorableText =
  (options: { ownBodies: readonly RegExp[] }): MiddlewareHandler<HonoEnv> =>
  async (c, next) => {
    if (!isStorableText(c.req.path)) throw new HttpError('NOT_FOUND', 'There is no page at this address.')
    const problems: Problem[] = []
    checkQuery(c, problems)
    const type = (c.req.header('Content-Type') ?? '').toLowerCase()
    const readsBody = c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.raw.body !== null
    if (problems.length === 0 && readsBody && !options.ownBodies.some((p) => p.test(c.req.path))) {
      if (isForm(type)) await checkForm(c, problems)
      else if (isJson(type)) {
        const parsed = await c.req.json().then(
          (value: unknown) => ({ value }),
          () => null,
        )
        if (parsed) checkJson(parsed.value, '', problems, { strings: MAX_JSON_STRINGS })
      }
    }
    const [first] = problems
    if (first) {
      const field = toStorableText(first.field).slice(0, 80)
      throw new HttpError('UNPROCESSABLE_ENTITY', `The field "${field}" ${first.message}.`, {
        details: problems.map((p) => ({ field: toStorableText(p.field).slice(0, 80), message: p.message })),
      })
    }
    await next()
  }
