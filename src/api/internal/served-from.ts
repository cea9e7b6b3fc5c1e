import type { Context } from 'hono'
import type { Source } from '../../edge/hot-path'

/** `Server-Timing: cache;desc="l1"|"do"|"db"`: where a hot-path answer came from (README "The hot path at the edge"). */
export function servedFrom(c: Context, source: Source) {
  c.header('Server-Timing', `cache;desc="${source}"`, { append: true })
}
