/** A comma-separated list (several secrets or keys while one is rotated): entries trimmed, empty ones dropped. */
export function commaSeparated(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}
