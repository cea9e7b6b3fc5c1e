import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { HttpError } from '../../../http/errors'
import { MAX_TOP_K, SEARCH_MODES, searchKnowledgeBase } from '../../../knowledge/search'
import { MAX_SEARCH_WORDS, parseSearchQuery } from '../../../knowledge/search-query'
import { admitSearch, SEARCH_RATE_LIMIT, searchRateLimitedMessage } from '../../../knowledge/search-rate-limit'
import type { HonoEnv } from '../../../types'
import { agentAuth } from '../auth'
import { errorResponses, internalRoute } from './schemas'

const searchBody = z
  .object({
    query: z
      .string()
      .trim()
      .min(1)
      .max(8000)
      .openapi({
        example: 'How do I reset my password?',
        description: `Only the first ${MAX_SEARCH_WORDS} words are searched for (a phrase counts its words, \`e-mail\` two); the rest are listed in \`dropped_terms\`.`,
      }),
    mode: z
      .enum(SEARCH_MODES)
      .default('hybrid')
      .openapi({
        description:
          '`hybrid` (default): the nearest chunks by embedding and the best keyword matches, fused by weighted reciprocal rank ' +
          '(k = 60, keyword side weighs 2; keyword matches scoring under 0.3 x the best one do not count as keyword hits). ' +
          '`vector`: embedding similarity only. `keyword`: PostgreSQL full-text search only. In every mode the query may use ' +
          '`websearch_to_tsquery` syntax: `"quoted phrases"` and `-words` are filters (results must contain the phrase and ' +
          'must not contain the excluded word); other words are matched if any of them is present (chunks holding all of them rank first).',
      }),
    top_k: z.number().int().min(1).max(MAX_TOP_K).default(5),
    min_score: z
      .number()
      .min(-1)
      .max(1)
      .default(0)
      .openapi({
        description:
          '`vector`: the lowest cosine similarity returned (as before). `hybrid`: the lowest cosine similarity for a chunk to ' +
          'enter through the vector side (a keyword match is kept whatever its similarity; the fused score is not compared). ' +
          "`keyword`: the lowest keyword score: the share (0..1) of the query terms' weight found in the chunk, rarer terms " +
          'weighing more (BM25 inverse document frequency in this knowledge base); 1 means every term.',
      }),
  })
  .openapi('KnowledgeSearchRequest')

const searchResult = z
  .object({
    content: z.string(),
    score: z.number().openapi({
      description:
        'Best first. vector: cosine similarity (-1..1); keyword: share of the weight of the query terms found in the chunk (0..1, 1: every term); hybrid: weighted reciprocal-rank fusion, 1/(60 + vector_rank) + 2/(60 + keyword_rank) (a side that did not find the chunk adds 0)',
    }),
    document_id: z.uuid(),
    document_title: z.string(),
    chunk_index: z.number().int(),
    vector_rank: z.number().int().nullable().openapi({
      description:
        '1-based rank among the nearest chunks by embedding; null when not among them (always null in keyword mode)',
    }),
    keyword_rank: z.number().int().nullable().openapi({
      description:
        '1-based rank among the keyword matches; null when the chunk is no keyword match (always null in vector mode)',
    }),
    highlight: z.string().nullable().openapi({
      description:
        'For keyword matches: a short excerpt (ts_headline), HTML-escaped, the matched words in <mark>...</mark>; otherwise null',
    }),
  })
  .openapi('KnowledgeSearchResult')

const searchRoute = internalRoute({
  method: 'post',
  path: '/knowledge/search',
  summary: "Hybrid (keyword + vector) search over the calling agent's knowledge base",
  description:
    "One SQL statement per search, over the indexed documents of the agent's knowledge base. Neighbouring chunks of one document (which share a 50-token overlap) are collapsed: each result is its own passage. " +
    `A customer's agents (and its people on the dashboard) search at most ${SEARCH_RATE_LIMIT.searches} times per ${SEARCH_RATE_LIMIT.periodSeconds} s together; beyond that the answer is 429 with Retry-After.`,
  middleware: [agentAuth()] as const,
  request: {
    headers: z.object({ 'x-agent-instance-id': z.string().openapi({ description: 'The agent (UUID)' }) }),
    body: { required: true, content: { 'application/json': { schema: searchBody } } },
  },
  responses: {
    200: {
      description:
        'Best matching chunks first; empty when the agent has no knowledge base or its type has knowledge_base.enabled false',
      content: {
        'application/json': {
          schema: z.object({
            knowledge_base_id: z.uuid().nullable(),
            results: z.array(searchResult),
            dropped_terms: z.array(z.string()).openapi({
              description: `Terms of the query past its first ${MAX_SEARCH_WORDS} words, as sent (\`word\`, \`"a phrase"\`, \`-word\`), in query order: not searched for. Empty when every term was used.`,
            }),
          }),
        },
      },
    },
    ...errorResponses([400, 401, 403, 429, 503]),
  },
})

export function registerKnowledgeSearchRoutes(api: OpenAPIHono<HonoEnv>) {
  api.openapi(searchRoute, async (c) => {
    const { agent, services } = c.var
    const body = c.req.valid('json')
    const admission = await admitSearch(c.env.SEARCH_RATE_LIMITER, agent.customerId)
    if (!admission.admitted) {
      c.header('Retry-After', String(admission.retryAfterSeconds))
      throw new HttpError('TOO_MANY_REQUESTS', searchRateLimitedMessage(admission.retryAfterSeconds))
    }
    const droppedTerms = parseSearchQuery(body.query).dropped
    if (!agent.knowledgeBaseId || !agent.knowledgeBaseEnabled)
      return c.json({ knowledge_base_id: null, results: [], dropped_terms: droppedTerms }, 200)
    const results = await searchKnowledgeBase({
      db: services.database.db,
      config: services.config,
      kbId: agent.knowledgeBaseId,
      customerId: agent.customerId,
      query: body.query,
      mode: body.mode,
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
          vector_rank: r.vectorRank,
          keyword_rank: r.keywordRank,
          highlight: r.highlight,
        })),
        dropped_terms: droppedTerms,
      },
      200,
    )
  })
}
