// A throwaway PostgreSQL 15 cluster (with pgvector, see scripts/install-postgres.sh) for the
// test suite on a real, multi-session database: initdb in a temporary folder, a free port,
// no fsync. Served to the Neon driver through the same WebSocket relay as PGlite.
// PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type LocalDatabase, startWebSocketRelay } from './local-db.ts'

export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin'

/** Enough for the race suite's concurrent requests (each opens its own pool) plus the test's own. */
const MAX_CONNECTIONS = 300

export function realPostgresAvailable(): boolean {
  return existsSync(join(POSTGRES_BIN, 'initdb')) && existsSync(join(POSTGRES_BIN, 'pg_ctl'))
}

export async function startLocalPostgres(
  host = '127.0.0.1',
  { relayLatencyMs }: { relayLatencyMs?: number } = {},
): Promise<LocalDatabase> {
  if (!realPostgresAvailable()) {
    throw new Error(`No PostgreSQL in ${POSTGRES_BIN}: run scripts/install-postgres.sh (or set POSTGRES_BIN)`)
  }
  const runAs = serverUser()
  const root = await mkdtemp(join(tmpdir(), 'echoforge-pg-'))
  if (runAs.uid !== undefined) await chown(root, runAs.uid, runAs.gid!)
  const dataDir = join(root, 'data')
  const port = await freePort(host)

  await run(
    join(POSTGRES_BIN, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      ...runAs,
      cwd: root,
    },
  )
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    `-c listen_addresses=${host}`,
    `-c max_connections=${MAX_CONNECTIONS}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c shared_buffers=64MB',
    // A deadlock is reported after this long; short, so a race test that deadlocks fails fast.
    '-c deadlock_timeout=200ms',
  ].join(' ')
  const pgCtl = (...args: string[]) =>
    run(join(POSTGRES_BIN, 'pg_ctl'), ['-D', dataDir, ...args], { ...runAs, cwd: root })
  await pgCtl('start', '-w', '-t', '60', '-l', join(root, 'server.log'), '-o', options)

  const databaseUrl = `postgres://postgres:postgres@${host}:${port}/postgres`
  const relay = await startWebSocketRelay(host, 0, { latencyMs: relayLatencyMs })
  return {
    databaseUrl,
    wsProxy: `${host}:${relay.port}`,
    kind: 'postgres',
    async stop() {
      await relay.stop()
      await pgCtl('stop', '-w', '-m', 'fast').catch(() => {})
      await rm(root, { recursive: true, force: true })
    },
  }
}

function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('Running as root needs a `postgres` user to run the server')
  return { uid, gid: id('-g') }
}

function run(command: string, args: string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (d) => {
      output += d
    })
    child.stderr?.on('data', (d) => {
      output += d
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0) resolve()
      else reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`))
    })
  })
}
