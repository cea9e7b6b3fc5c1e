import { Hono } from 'hono'
import type { HonoEnv } from '../../types'

/** `/static/*` from the Worker's assets binding (wrangler runs the Worker first for every path). */
export const staticAssets = new Hono<HonoEnv>().get('/static/*', async (c) => {
  const res = await c.env.ASSETS.fetch(c.req.raw)
  if (res.status === 404) return c.notFound()
  // Fetched responses have immutable headers; the app's security headers are added afterwards.
  return new Response(res.body, res)
})
