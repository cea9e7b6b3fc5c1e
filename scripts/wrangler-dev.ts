import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { freePort } from './local-db.ts'

const root = new URL('..', import.meta.url).pathname

/**
 * The variables the extraction Worker reads (its env schema in queues/extraction-worker.ts, which
 * test/node/tooling.test.ts holds this list to): it is handed these and nothing else.
 */
export const EXTRACTION_VARS = [
  'APP_ENV',
  'LOG_LEVEL',
  'DATABASE_URL',
  'LOCAL_WS_PROXY',
  'DATABASE_QUERY_TIMEOUT_MS',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_EMBEDDING_MODEL',
] as const

/**
 * wrangler.extraction.toml as `<dir>/wrangler.extraction.json`, with the given `vars` in a `.dev.vars`
 * beside it. `wrangler dev` hands `--var` and the project's `.dev.vars` to the first config only; a
 * second config reads the `.dev.vars` in its own folder, so this is how the extraction Worker learns
 * where the local database and embedder are (and, as secrets, they are never printed).
 */
export async function writeExtractionDevConfig(dir: string, vars: Record<string, string | undefined>) {
  const { experimental_readRawConfig } = await import('wrangler')
  const { rawConfig } = experimental_readRawConfig({ config: `${root}wrangler.extraction.toml` })
  await mkdir(dir, { recursive: true })
  const path = `${dir}/wrangler.extraction.json`
  await writeFile(path, JSON.stringify({ ...rawConfig, main: `${root}${rawConfig.main}` }, null, 2))
  const lines = EXTRACTION_VARS.flatMap((key) =>
    vars[key] === undefined ? [] : [`${key}=${JSON.stringify(vars[key])}`],
  )
  await writeFile(`${dir}/.dev.vars`, `${lines.join('\n')}\n`, { mode: 0o600 })
  return path
}

/**
 * Arguments for one `wrangler dev` process that runs both Workers: the main Worker (wrangler.toml)
 * on `port`, the extraction Worker (`extractionConfig`) beside it in the same workerd, sharing its
 * local queues and R2, as production shares the real ones.
 */
export function wranglerDevArgs(options: {
  port: number
  host?: string
  extractionConfig: string
  vars: Record<string, string>
  extra?: string[]
}): string[] {
  return [
    'dev',
    '-c',
    `${root}wrangler.toml`,
    '-c',
    options.extractionConfig,
    '--ip',
    options.host ?? '127.0.0.1',
    '--port',
    String(options.port),
    '--show-interactive-dev-session=false',
    ...(options.extra ?? []),
    ...Object.entries(options.vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ]
}

export interface RunningWorker {
  url: string
  port: number
  /** The `wrangler dev` process; its workerd child runs both Workers. */
  child: ChildProcess
  stop(): Promise<void>
}

/**
 * `wrangler dev` with both Workers on a free port with the given vars and its own throwaway local
 * state (R2, queues), resolved once `/health` answers 200. Used by the bench and the browser tests.
 * `extra`: more `wrangler dev` flags (the bench's `--test-scheduled`, for `/__scheduled?cron=...`).
 */
export async function startWranglerDev(
  vars: Record<string, string>,
  name: string,
  port?: number,
  extra: string[] = [],
): Promise<RunningWorker> {
  port ??= await freePort()
  const state = `${root}.wrangler/${name}-state-${process.pid}`
  const extractionConfig = await writeExtractionDevConfig(`${state}/config`, vars)
  const child = spawn(
    `${root}node_modules/.bin/wrangler`,
    wranglerDevArgs({ port, extractionConfig, vars, extra: ['--persist-to', state, ...extra] }),
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => void rm(state, { recursive: true, force: true }).then(() => resolve())),
  )
  const stop = async () => {
    // SIGINT, as Ctrl-C: wrangler closes its bundlers first (on SIGTERM esbuild's Go runtime dumps its goroutines).
    if (child.exitCode === null) child.kill('SIGINT')
    await exited
  }
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 240 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, port, child, stop }
    } catch {}
    await new Promise((r) => setTimeout(r, 500))
  }
  await stop()
  throw new Error(`wrangler dev (${name}) did not become healthy`)
}
