import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { errorEnvelopeSchema } from '../../../errors'
import { MAX_TOP_K, searchKnowledgeBase } from '../../../knowledge/search'
import type { HonoEnv } from '../../../types'
import { agentAuth } from '../auth'
import { serviceSecurity } from './schemas'

const searchBody = z
  .object({
    query: z.string().trim().min(1).max(8000).openapi({ example: 'How do I reset my password?' }),
    top_k: z.number().int().min(1).max(MAX_TOP_K).default(5),
    min_score: z.number().min(-1).max(1).default(0),
  })
  .openapi('KnowledgeSearchRequest')

const searchResult = z
  .object({
    content: z.string(),
    score: z.number(),
    document_id: z.uuid(),
    document_title: z.string(),
    chunk_index: z.number().int(),
  })
  .openapi('KnowledgeSearchResult')

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: 'Error', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    ]),
  )

const searchRoute = createRoute({
  method: 'post',
  path: '/knowledge/search',
  summary: "Semantic search over the calling agent's knowledge base",
  security: serviceSecurity,
  middleware: [agentAuth()] as const,
  request: {
    headers: z.object({ 'x-agent-instance-id': z.string().openapi({ description: 'The agent (UUID)' }) }),
    body: { required: true, content: { 'application/json': { schema: searchBody } } },
  },
  responses: {
    200: {
      description: 'Best matching chunks first; empty when the agent has no knowledge base',
      content: {
        'application/json': {
          schema: z.object({ knowledge_base_id: z.uuid().nullable(), results: z.array(searchResult) }),
        },
      },
    },
    ...errors(400, 401, 403, 503),
  },
})

export function registerKnowledgeSearchRoutes(api: OpenAPIHono<HonoEnv>) {
  api.openapi(searchRoute, async (c) => {
    const { agent, services } = c.var
    const body = c.req.valid('json')
    if (!agent.knowledgeBaseId) return c.json({ knowledge_base_id: null, results: [] }, 200)
    const results = await searchKnowledgeBase({
      db: services.database.db,
      config: services.config,
      kbId: agent.knowledgeBaseId,
      customerId: agent.customerId,
      query: body.query,
      topK: body.top_k,
      minScore: body.min_score,
    })
    return c.json(
      {
        knowledge_base_id: agent.knowledgeBaseId,
        results: results.map((r) => ({
          content: r.content,
          score: r.score,
          document_id: r.documentId,
          document_title: r.documentTitle,
          chunk_index: r.chunkIndex,
        })),
      },
      200,
    )
  })
}
