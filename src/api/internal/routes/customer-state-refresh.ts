import { type OpenAPIHono, z } from '@hono/zod-openapi'
import { UUID } from '../../../platform/uuid'
import type { HonoEnv } from '../../../types'
import { errorResponses, internalRoute } from './schemas'

export const customerStateRefreshRoute = internalRoute({
  method: 'post',
  path: '/customers/{customer_id}/state/refresh',
  summary:
    "Reloads the customer's hot-path state at the edge now (ops calls it after a change; without it the edge finds the change within 10 s)",
  request: {
    params: z.object({
      customer_id: z
        .string()
        .regex(UUID, 'customer_id must be a UUID')
        .openapi({ param: { name: 'customer_id', in: 'path' } }),
    }),
  },
  responses: {
    200: {
      description:
        "The customer's state object was told; when it cannot reload now it answers from no stale copy (see the README)",
      content: { 'application/json': { schema: z.object({ customer_id: z.string(), notified: z.boolean() }) } },
    },
    ...errorResponses([400, 401, 503]),
  },
})

export function registerCustomerStateRefresh(api: OpenAPIHono<HonoEnv>) {
  api.openapi(customerStateRefreshRoute, (c) => {
    const { customer_id } = c.req.valid('param')
    // Told once the answer is ready (src/http/middleware.ts flushes before it leaves).
    c.var.services.edge.changed(customer_id.toLowerCase())
    return c.json({ customer_id: customer_id.toLowerCase(), notified: true }, 200)
  })
}
