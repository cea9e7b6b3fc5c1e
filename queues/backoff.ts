/** Seconds before a failed message's next attempt: 10 s, 20 s, 40 s... up to 15 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(10 * 2 ** Math.max(0, attempts - 1), 900)
}
