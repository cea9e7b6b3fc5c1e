// Builds bench/knowledge/entry.ts once per run into a Node ESM bundle and loads it.
import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import { build } from 'esbuild'

const root = new URL('../..', import.meta.url).pathname
export const bundlePath = `${root}.wrangler/bench/knowledge.mjs`

let built: Promise<typeof import('./entry.ts')> | undefined

export function knowledgeModules(): Promise<typeof import('./entry.ts')> {
  built ??= (async () => {
    await mkdir(`${root}.wrangler/bench`, { recursive: true })
    await build({
      entryPoints: [`${root}bench/knowledge/entry.ts`],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile: bundlePath,
      logLevel: 'error',
      external: ['postgres'],
      // Some CommonJS dependencies (mammoth) call require().
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    })
    return (await import(bundlePath)) as typeof import('./entry.ts')
  })()
  return built
}

/** Runs a task from tasks.ts in a fresh Node process and returns its JSON answer. */
export async function runInChild<T>(task: Record<string, unknown>): Promise<T> {
  await knowledgeModules()
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(bundlePath)}); await m.runTask()`,
    ],
    { env: { ...process.env, KNOWLEDGE_BENCH_TASK: JSON.stringify(task) }, maxBuffer: 256 * 1024 * 1024, cwd: root },
  )
  return JSON.parse(stdout) as T
}
