import { type ChildProcess, spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { freePort } from './local-db.ts'

const root = new URL('..', import.meta.url).pathname

export interface RunningWorker {
  url: string
  port: number
  child: ChildProcess
  stop(): Promise<void>
}

/**
 * `wrangler dev` on a free port with the given vars and its own throwaway local state
 * (R2, queues), resolved once `/health` answers 200. Used by the bench and the browser tests.
 */
export async function startWranglerDev(
  vars: Record<string, string>,
  name: string,
  port?: number,
): Promise<RunningWorker> {
  port ??= await freePort()
  const state = `${root}.wrangler/${name}-state-${process.pid}`
  const child = spawn(
    `${root}node_modules/.bin/wrangler`,
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--show-interactive-dev-session=false',
      '--persist-to',
      state,
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => void rm(state, { recursive: true, force: true }).then(() => resolve())),
  )
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
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
