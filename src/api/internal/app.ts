import { OpenAPIHono } from '@hono/zod-openapi'
import { HttpError } from '../../http/errors'
import type { HonoEnv } from '../../types'

/** An OpenAPI-described Hono app whose validation failures answer 400 in the error envelope. */
export function newInternalApp() {
  return new OpenAPIHono<HonoEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new HttpError('BAD_REQUEST', 'The request is not valid', {
          details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        })
      }
    },
  })
}
