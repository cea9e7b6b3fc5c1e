import { describe, expect, it } from 'vitest'
import { call } from '../support/http'

interface OpenApiDoc {
  openapi: string
  paths: Record<
    string,
    Record<string, { security?: unknown; responses: Record<string, unknown>; requestBody?: unknown }>
  >
  components?: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, unknown> }
}

describe('GET /api/internal/openapi.json', () => {
  it('is an OpenAPI 3.1 document of every internal route, generated from the zod schemas', async () => {
    const res = await call('/api/internal/openapi.json')
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
    const text = JSON.stringify(doc)
    for (const field of ['config_version', 'in_grace_period', 'usage_remaining', 'request_id', 'input_tokens']) {
      expect(text).toContain(field)
    }
  })
})
