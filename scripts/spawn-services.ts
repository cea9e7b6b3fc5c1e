import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { TestServices } from './test-services.ts'

/**
 * Starts `scripts/test-services.ts` in a child Node process and waits for its addresses. The
 * database is TEST_DATABASE's (PGlite by default) unless `database` says which. `dbLatencyMs`:
 * milliseconds the database's relay adds to every round trip (default 0, none).
 */
export async function spawnTestServices(
  database?: 'pglite' | 'postgres',
  options: { dbLatencyMs?: number } = {},
): Promise<{
  services: TestServices
  child: ChildProcess
  stop(): Promise<void>
}> {
  const script = new URL('./test-services.ts', import.meta.url).pathname
  const env = {
    ...process.env,
    ...(database ? { TEST_DATABASE: database } : {}),
    TEST_SERVICES_DB_LATENCY_MS: String(options.dbLatencyMs ?? 0),
  }
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env })
  const lines = createInterface({ input: child.stdout! })
  const services = await new Promise<TestServices>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`test services exited early (code ${code})`)))
    lines.on('line', (line) => {
      if (!line.startsWith('{"ready"')) return
      resolve((JSON.parse(line) as { ready: TestServices }).ready)
    })
  })
  return {
    services,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
