import type { Context } from 'hono'
import type { HonoEnv } from '../../types'
import { isHtmx } from './forms'

/**
 * Sends the browser to `url` as a whole-page navigation: HTMX requests get `HX-Redirect`
 * (htmx would otherwise follow a redirect with a fetch and swap the answer in), plain browsers a 302.
 */
export function navigateTo(c: Context<HonoEnv>, url: string) {
  if (isHtmx(c)) {
    c.header('HX-Redirect', url)
    return c.body(null, 204)
  }
  return c.redirect(url, 302)
}
