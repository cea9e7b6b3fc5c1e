// The one mapping from errors to answers: each domain error's status, envelope code and details (JSON),
// and its error page (status, heading, message, the link to what the user can do).
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { describe, expect, it } from 'vitest'
import {
  Conflict,
  type DomainError,
  InvalidInput,
  NotFound,
  PlanLimitReached,
  ProviderRefused,
  TooLarge,
  Unavailable,
  Unreadable,
  UnsupportedFileType,
  UPGRADE_URL,
} from '../../src/errors'
import { handleError } from '../../src/http/error-handler'
import { errorResponseFor } from '../../src/http/error-mapping'
import { type ErrorEnvelope, HttpError } from '../../src/http/errors'
import type { HonoEnv } from '../../src/types'

const planLimit = () =>
  new PlanLimitReached('Your plan allows 2 agents; upgrade to add more.', { name: 'agents', allowed: 2, used: 2 })

const cases: [string, () => DomainError, number, string, string][] = [
  ['NotFound', () => new NotFound('Agent'), 404, 'NOT_FOUND', 'Page not found'],
  ['InvalidInput', () => new InvalidInput('Give it a name'), 400, 'BAD_REQUEST', 'Please check what you entered'],
  ['Unreadable', () => new Unreadable('The PDF is encrypted'), 422, 'UNPROCESSABLE_ENTITY', 'This cannot be read'],
  [
    'UnsupportedFileType',
    () => new UnsupportedFileType('"a.png" is not supported'),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'Unsupported file type',
  ],
  ['TooLarge', () => new TooLarge('"a.pdf" is larger than 25 MB'), 413, 'PAYLOAD_TOO_LARGE', 'Too large'],
  ['PlanLimitReached', planLimit, 403, 'FORBIDDEN', 'Plan limit reached'],
  ['Conflict', () => new Conflict('Already created'), 409, 'CONFLICT', 'This cannot be done now'],
  [
    'ProviderRefused',
    () => new ProviderRefused('Acme refused', 'invalid_grant'),
    400,
    'BAD_REQUEST',
    'The provider refused',
  ],
  [
    'Unavailable',
    () => new Unavailable('Payments are unavailable'),
    503,
    'SERVICE_UNAVAILABLE',
    'Temporarily unavailable',
  ],
]

/** A bare app with the real error handler: `/api/throw` answers JSON, `/throw` a page. */
function appThrowing(error: () => Error) {
  const app = new Hono<HonoEnv>()
  app.use(requestId({ headerName: 'X-Request-Id' }))
  app.onError(handleError)
  app.get('/api/throw', () => {
    throw error()
  })
  app.get('/throw', () => {
    throw error()
  })
  return app
}

describe('domain errors → status, envelope code, page', () => {
  it.each(cases)('%s', async (_name, make, status, code, title) => {
    const error = make()
    expect(errorResponseFor(error)).toMatchObject({ status, code, message: error.message, title })

    const app = appThrowing(make)
    const json = await app.request('/api/throw')
    expect(json.status).toBe(status)
    const body = (await json.json()) as ErrorEnvelope
    expect(body.error).toMatchObject({ code, message: error.message, request_id: json.headers.get('X-Request-Id') })

    const page = await app.request('/throw')
    expect(page.status).toBe(status)
    expect(page.headers.get('Content-Type')).toContain('text/html')
    const html = await page.text()
    expect(html).toContain(`<h1>${title}</h1>`)
    expect(html).toContain(error.message.replaceAll('"', '&quot;'))
  })

  it('a plan limit carries what is limited and the upgrade link, in the envelope and on the page', async () => {
    expect(errorResponseFor(planLimit())?.details).toEqual({
      limit: 'agents',
      allowed: 2,
      used: 2,
      upgrade_url: UPGRADE_URL,
    })
    const html = await (await appThrowing(planLimit).request('/throw')).text()
    expect(html).toContain(`href="${UPGRADE_URL}"`)
    expect(html).toContain('Compare plans and upgrade')
  })

  it('invalid input names its fields in the details, and has none without them', () => {
    const fields = [{ field: 'name', message: 'Give it a name' }]
    expect(errorResponseFor(new InvalidInput('Give it a name', fields))?.details).toEqual(fields)
    expect(errorResponseFor(new InvalidInput('Give it a name'))?.details).toBeUndefined()
  })

  it('a page without a next step links only back home', async () => {
    const html = await (await appThrowing(() => new NotFound('Agent')).request('/throw')).text()
    expect(html).not.toContain('class="button"')
    expect(html).toContain('href="/"')
  })

  it('subclasses answer as their kind', () => {
    class AlreadyDone extends Conflict {}
    expect(errorResponseFor(new AlreadyDone('done'))).toMatchObject({ status: 409, code: 'CONFLICT' })
  })
})

describe('the HTTP layer’s own errors', () => {
  it('an HttpError keeps its code and details', () => {
    const error = new HttpError('PAYLOAD_TOO_LARGE', 'Too big', { details: { max_bytes: 10 } })
    expect(errorResponseFor(error)).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Too big',
      details: { max_bytes: 10 },
    })
  })

  it("hono's 4xx exceptions get the code of their status; 5xx and other errors are not known", () => {
    expect(errorResponseFor(new HTTPException(400, { message: 'Malformed JSON' }))).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      message: 'Malformed JSON',
    })
    expect(errorResponseFor(new HTTPException(500))).toBeNull()
    expect(errorResponseFor(new Error('boom'))).toBeNull()
  })

  it('an unknown error answers 500 without its message', async () => {
    const res = await appThrowing(() => new Error('secret detail')).request('/api/throw')
    expect(res.status).toBe(500)
    const body = (await res.json()) as ErrorEnvelope
    expect(body.error.code).toBe('INTERNAL_SERVER_ERROR')
    expect(body.error.message).not.toContain('secret detail')
  })
})
