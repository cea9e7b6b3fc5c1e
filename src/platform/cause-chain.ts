/** An error and the causes it wraps, outermost first (drizzle's "Failed query" wraps the driver's error). */
export function* causeChain(error: unknown, maxDepth = 10): Generator<unknown> {
  let current = error
  for (let depth = 0; current !== undefined && current !== null && depth < maxDepth; depth++) {
    yield current
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined
  }
}
