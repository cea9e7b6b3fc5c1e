/**
 * Searches per customer, the internal API and the pages together: `SEARCH_RATE_LIMITER` in
 * wrangler.toml (`[[ratelimits]]`, 600 per 60 s; these figures mirror it for messages and Retry-After).
 *
 * Why the Workers rate-limiting binding and not the Postgres attempt counters
 * (src/customers/attempt-limits.ts): search is on the agent runtime's hot path, and a counter row
 * would add a write (and a row lock every search of one customer queues on) to every search; the
 * binding answers from the Cloudflare location that runs the Worker, without a database statement.
 * Its counts are per location and eventually consistent, so a customer spread over several locations
 * gets somewhat more: this limit is a guard against floods (each search is bounded by
 * MAX_SEARCH_WORDS and the statement timeout), not a quota, and exactness is not needed.
 * Sign-in attempts keep the exact Postgres counters: there every attempt must count.
 */
export const SEARCH_RATE_LIMIT = { searches: 600, periodSeconds: 60 } as const

export type SearchAdmission = { admitted: true } | { admitted: false; retryAfterSeconds: number }

export async function admitSearch(limiter: RateLimit, customerId: string): Promise<SearchAdmission> {
  const { success } = await limiter.limit({ key: `search:${customerId}` })
  // The binding's windows are fixed; the current one ends within a period.
  return success ? { admitted: true } : { admitted: false, retryAfterSeconds: SEARCH_RATE_LIMIT.periodSeconds }
}

export const searchRateLimitedMessage = (retryAfterSeconds: number) =>
  `Too many searches: at most ${SEARCH_RATE_LIMIT.searches} per ${SEARCH_RATE_LIMIT.periodSeconds} seconds for your account. Please try again in ${retryAfterSeconds} seconds.`
