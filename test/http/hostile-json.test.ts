// JSON bodies built to exhaust the walk that checks their text (src/http/text-guard.ts): refused with
// 400 in the envelope (or a page), never a 500; the internal API's never parsed before its secret.
import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, MAX_JSON_VALUES } from '../../src/http/text-guard'
import { deepJsonArray, deepJsonObject, wideJsonArray } from '../support/bombs/request-edge'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { BASE, call, internalHeaders } from '../support/http'

const json = { 'Content-Type': 'application/json' }

async function envelopeOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string } }).error
}

describe('a JSON body nested 30,000 deep (60 KB)', () => {
  const body = deepJsonArray(30_000)

  it.each(['/api/internal/usage/batch', '/api/internal/knowledge/search'])(
    'POST %s without the service secret: 401, the body never parsed',
    async (path) => {
      const res = await call(path, { method: 'POST', headers: json, body })
      expect(res.status).toBe(401)
      expect((await envelopeOf(res)).code).toBe('UNAUTHORIZED')
    },
  )

  it.each([
    ['/api/internal/usage/batch', body],
    ['/api/internal/usage/batch', `{"reports":[{"metrics":${body}}]}`],
    ['/api/internal/knowledge/search', body],
  ])('POST %s with the secret: 400, too deep', async (path, sent) => {
    const { db } = testDb()
    const agent = await factories(db).agentInstance()
    const res = await call(path, { method: 'POST', headers: { ...json, ...internalHeaders(agent.id) }, body: sent })
    expect(res.status).toBe(400)
    const error = await envelopeOf(res)
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toBe(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`)
  })

  it('to a page (anonymous): a 400 page, not a 500', async () => {
    const res = await call('/knowledge', { method: 'POST', headers: { ...json, Origin: BASE }, body })
    expect(res.status).toBe(400)
    expect(res.headers.get('Content-Type')).toContain('text/html')
    expect(await res.text()).toContain(`nested more than ${MAX_JSON_DEPTH} levels deep`)
  })
})

describe('JSON bounds', () => {
  const search = async (body: string) => {
    const { db } = testDb()
    const agent = await factories(db).agentInstance()
    return call('/api/internal/knowledge/search', {
      method: 'POST',
      headers: { ...json, ...internalHeaders(agent.id) },
      body,
    })
  }

  it.each([
    ['arrays', deepJsonArray],
    ['objects', deepJsonObject],
  ])(`%s nested ${MAX_JSON_DEPTH} deep pass; one level more is refused`, async (_kind, nested) => {
    // The body itself is the first level: `filter` holds the other 63.
    const atLimit = await search(`{"query":"q","filter":${nested(MAX_JSON_DEPTH - 1)}}`)
    expect(atLimit.status).toBe(200)
    const over = await search(`{"query":"q","filter":${nested(MAX_JSON_DEPTH)}}`)
    expect(over.status).toBe(400)
    expect((await envelopeOf(over)).message).toContain(`nested more than ${MAX_JSON_DEPTH} levels deep`)
  })

  it(`a body of more than ${MAX_JSON_VALUES} values: 400`, async () => {
    const res = await call('/api/internal/usage/batch', {
      method: 'POST',
      headers: { ...json, ...internalHeaders() },
      body: `{"reports":${wideJsonArray(MAX_JSON_VALUES)}}`,
    })
    expect(res.status).toBe(400)
    expect((await envelopeOf(res)).message).toBe(
      `The JSON body holds more than ${MAX_JSON_VALUES} values; send less per request.`,
    )
  })

  it('an unstorable string deep inside is still named by its path, after the secret', async () => {
    const res = await search('{"query":"q","a":[{"b":"x"},{"c":"\\u0000"}]}')
    expect(res.status).toBe(422)
    const error = (await res.json()) as { error: { details: Array<{ field: string }> } }
    expect(error.error.details.map((d) => d.field)).toEqual(['a.1.c'])
  })
})
