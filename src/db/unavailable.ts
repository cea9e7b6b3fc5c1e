import { causeChain } from '../platform/cause-chain'

/**
 * True when an error means the database could not be reached or dropped the connection (as
 * opposed to a query it refused): connection refused, cut mid-query, connect timeout, a server
 * shutting down or starting up, too many connections. Looks through drizzle's wrapper (`cause`).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const current of causeChain(error, 6)) {
    if (typeof current !== 'object' || current === null) return false
    const { code, message } = current as { code?: unknown; message?: unknown }
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now), 53300 (too many connections).
    if (typeof code === 'string' && /^(08...|57P0[123]|53300)$/.test(code)) return true
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE)$/.test(code)) return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true
  }
  return false
}

const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  // The driver's query_timeout (QUERY_TIMEOUT_MS): the database stopped answering mid-query.
  /^Query read timeout$/,
  /WebSocket (connection|was closed|error)/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
]

/** The message every entry point gives when the database is unreachable. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unreachable right now. Please try again in a moment.'
