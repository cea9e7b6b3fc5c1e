// Operators' command line: `npm run ops -- <command>` against DATABASE_URL. See README "Operating".
import './ops/src-imports.ts'

const { runOps, processIo } = await import('./ops/cli.ts')
process.exitCode = await runOps(process.argv.slice(2), processIo())
