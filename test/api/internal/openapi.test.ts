import { describe, expect, it } from 'vitest'
import { call, internalHeaders } from '../../support/http'

interface OpenApiDoc {
  openapi: string
  paths: Record<
    string,
    Record<string, { security?: unknown; responses: Record<string, unknown>; requestBody?: unknown }>
  >
  components?: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, unknown> }
}

async function documentedOperations() {
  const doc = (await (await call('/api/internal/openapi.json', { headers: internalHeaders() })).json()) as OpenApiDoc
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ route: `${method} ${path}`, operation })),
  )
}

describe('GET /api/internal/openapi.json', () => {
  it('is an OpenAPI 3.1 document of every internal route, generated from the zod schemas', async () => {
    const res = await call('/api/internal/openapi.json', { headers: internalHeaders() })
    expect(res.status).toBe(200)
    const doc = (await res.json()) as OpenApiDoc
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining([
        '/agent/validate-key',
        '/agent/{agent_id}/config',
        '/billing/can-respond/{agent_id}',
        '/usage/batch',
      ]),
    )
    expect(doc.components?.securitySchemes?.serviceSecret).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(Object.keys(doc.paths['/agent/{agent_id}/config']?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '304', '401', '403', '404']),
    )
    expect(doc.paths['/usage/batch']?.post?.responses).toHaveProperty('413')
    // Knowledge search says when it refuses a customer over its search rate, and which terms it left out.
    expect(doc.paths['/knowledge/search']?.post?.responses).toHaveProperty('429')
    const text = JSON.stringify(doc)
    // Knowledge search documents its modes for the runtime.
    expect(text).toContain('"enum":["hybrid","vector","keyword"]')
    for (const field of [
      'config_version',
      'in_grace_period',
      'usage_remaining',
      'request_id',
      'input_tokens',
      'min_score',
      'dropped_terms',
    ]) {
      expect(text).toContain(field)
    }
  })

  it('needs the service secret like everything else under /api/internal', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer not-the-service-secret-0123456789abcdef' }]
    for (const headers of attempts) {
      const res = await call('/api/internal/openapi.json', { headers })
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED')
    }
  })

  it('declares the bearer service secret on every operation', async () => {
    const operations = await documentedOperations()
    expect(operations.length).toBeGreaterThanOrEqual(7)
    for (const { route, operation } of operations) {
      expect({ route, security: operation.security }).toEqual({ route, security: [{ serviceSecret: [] }] })
    }
  })

  it('documents on every operation the 401 of a wrong secret and the 503 of an unreachable database', async () => {
    const operations = await documentedOperations()
    for (const { route, operation } of operations) {
      for (const status of ['401', '503']) {
        expect({ route, status, response: operation.responses[status] }).toMatchObject({
          route,
          status,
          response: { description: expect.stringMatching(/\w/), content: { 'application/json': expect.anything() } },
        })
      }
    }
  })
})
