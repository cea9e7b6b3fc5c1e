// Prints the one coverage line `.ci/run` ends with, from the json-summary `npm run coverage` writes:
//   coverage: overall N% lines; billing N%; auth N%; encryption N%
// The groups are vitest.config.ts's own globs, so this line and the thresholds vitest enforces
// describe the same files. Exits 1 when a group matches no file (a move left its glob behind).
import { readFile } from 'node:fs/promises'
import { matchesGlob, relative, resolve } from 'node:path'
import { COVERAGE_GROUPS } from '../vitest.config.ts'

interface Counts {
  total: number
  covered: number
}
type Summary = Record<string, { lines: Counts }>

/** Istanbul's rounding (down, two decimals), so a figure never reads above the threshold it missed. */
function percent({ total, covered }: Counts): number {
  if (total === 0) return 100
  return Math.floor((10_000 * covered) / total) / 100
}

function groupLines(summary: Summary, root: string, glob: string): Counts & { files: number } {
  const counts = { total: 0, covered: 0, files: 0 }
  for (const [file, entry] of Object.entries(summary)) {
    if (file === 'total' || !matchesGlob(relative(root, file), glob)) continue
    counts.total += entry.lines.total
    counts.covered += entry.lines.covered
    counts.files += 1
  }
  return counts
}

async function main() {
  const root = process.cwd()
  const path = resolve(root, process.argv[2] ?? 'coverage/coverage-summary.json')
  const summary = JSON.parse(await readFile(path, 'utf8')) as Summary
  const total = summary.total
  if (!total) throw new Error(`${path} has no "total" entry: is it a vitest json-summary?`)

  const parts = [`overall ${percent(total.lines)}% lines`]
  const empty: string[] = []
  for (const [name, glob] of Object.entries(COVERAGE_GROUPS)) {
    const lines = groupLines(summary, root, glob)
    if (lines.files === 0) empty.push(`${name} (${glob})`)
    parts.push(`${name} ${percent(lines)}%`)
  }
  console.log(`coverage: ${parts.join('; ')}`)
  if (empty.length > 0) {
    console.error(`No covered file matches the coverage group ${empty.join(', ')}: update COVERAGE_GROUPS.`)
    process.exitCode = 1
  }
}

await main()
