// Embedded Postgres for development and tests: PGlite (with pgvector) served on the
// Postgres wire protocol, plus the WebSocket-to-TCP relay the Neon driver needs locally.
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import net from 'node:net'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import type * as WS from 'ws'
import { servePGlite } from './pg-wire-server.ts'

// Loaded through require so bundler-style resolvers (Vite, in test setup) pick ws's Node build.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as typeof WS

export interface LocalDatabase {
  databaseUrl: string
  wsProxy: string
  kind: 'pglite' | 'postgres'
  stop(): Promise<void>
}

export interface EmbeddedDatabase extends LocalDatabase {
  db: PGlite
}

export interface LocalDatabaseOptions {
  /** Folder to keep data in between runs; in memory when omitted. */
  dataDir?: string
  host?: string
  /** 0 picks a free port. */
  pgPort?: number
  wsPort?: number
  /** Milliseconds the WebSocket relay adds to every round trip (see `startWebSocketRelay`); default 0. */
  relayLatencyMs?: number
}

export async function startLocalDatabase(options: LocalDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const host = options.host ?? '127.0.0.1'
  const db = await PGlite.create({ dataDir: options.dataDir, extensions: { vector } })
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector')

  const pgPort = options.pgPort === 0 || options.pgPort === undefined ? await freePort(host) : options.pgPort
  const pgServer = await servePGlite(db, host, pgPort)

  const relay = await startWebSocketRelay(host, options.wsPort ?? 0, { latencyMs: options.relayLatencyMs })
  return {
    db,
    databaseUrl: `postgres://postgres:postgres@${host}:${pgPort}/postgres`,
    wsProxy: `${host}:${relay.port}`,
    kind: 'pglite',
    async stop() {
      await relay.stop()
      await pgServer.stop()
      await db.close()
    },
  }
}

export interface RelayOptions {
  /**
   * A database this many milliseconds of round trip away, as from a far edge location (0: none).
   * Every round trip through the relay gains exactly this much: each message is held half of it on
   * its way to the database and half on its way back (a closing connection too, in order), and the
   * WebSocket upgrade is answered this much later (its own round trip; the TCP and TLS handshakes
   * a real far connection also pays are not charged). Statements are neither reordered nor slowed
   * in the database itself.
   */
  latencyMs?: number
}

/** Relays each WebSocket (`/v1?address=host:port`) to a TCP connection, as Neon's proxy does. */
export async function startWebSocketRelay(host: string, port: number, options: RelayOptions = {}) {
  const latencyMs = options.latencyMs ?? 0
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`relay latency must be >= 0 ms, not ${latencyMs}`)
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end('WebSocket relay for the local database')
  })
  const wss = new WebSocketServer({ noServer: true })
  let refusing = false
  let stallingQueries = false
  const stalled = new Set<WS.WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const upgrade = () => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
    if (latencyMs === 0) return upgrade()
    socket.on('error', () => socket.destroy())
    setTimeout(() => {
      if (!socket.destroyed) upgrade()
    }, latencyMs)
  })
  wss.on('connection', (ws, req) => {
    if (refusing) {
      ws.terminate()
      return
    }
    const address = new URL(req.url ?? '/', 'http://relay').searchParams.get('address') ?? ''
    const [targetHost, targetPort] = address.split(':')
    if (!targetHost || !targetPort) {
      ws.close(1008, 'address required')
      return
    }
    const tcp = net.connect(Number(targetPort), targetHost)
    tcp.setNoDelay(true)
    const end = () => {
      tcp.destroy()
      ws.terminate()
    }
    // Half the latency each way, each direction in order (0: at once, as without the option).
    const toDatabase = delayLine(latencyMs / 2)
    const toClient = delayLine(latencyMs / 2)
    ws.on('message', (data: Buffer) => {
      // A stalled connection is a database that stopped answering: nothing passes either way,
      // except that a client hanging up (Terminate) still closes it.
      if (stallingQueries && isQueryStart(data)) stalled.add(ws)
      if (stalled.has(ws)) {
        if (endsWithTerminate(data)) end()
        return
      }
      toDatabase(() => {
        tcp.write(data)
        // A client that sends Terminate is done. Workers do not always finish the WebSocket
        // close handshake, so close both sides now instead of holding a database connection open.
        if (endsWithTerminate(data)) tcp.end()
      })
    })
    tcp.on('data', (data) => {
      if (!stalled.has(ws)) toClient(() => ws.send(data))
    })
    tcp.on('close', () => toClient(end))
    tcp.on('error', () => toClient(end))
    ws.on('close', () => {
      stalled.delete(ws)
      toDatabase(end)
    })
    ws.on('error', () => toDatabase(end))
  })
  /**
   * While true, a connection goes silent at its next query (Parse or simple Query): connected and
   * authenticated, then no answer, as a half-open connection or a stalled proxy behaves.
   */
  const stallQueries = (stall: boolean) => {
    stallingQueries = stall
    if (!stall) {
      for (const client of stalled) client.terminate()
      stalled.clear()
    }
  }
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  const address = server.address()
  const boundPort = typeof address === 'object' && address ? address.port : port
  return {
    port: boundPort,
    /** While true, every relayed connection is cut and new ones are dropped at once. */
    refuseConnections(refuse: boolean) {
      refusing = refuse
      if (refuse) for (const client of wss.clients) client.terminate()
      if (!refuse) stallQueries(false)
    },
    stallQueries,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * Runs each function `ms` after it was handed over, in the order handed over; with `ms` 0, at once.
 * One timer per line, so a burst of messages costs no more timers than one.
 */
function delayLine(ms: number): (run: () => void) => void {
  if (ms <= 0) return (run) => run()
  const queue: Array<{ due: number; run: () => void }> = []
  let scheduled = false
  const drain = () => {
    scheduled = false
    while (queue.length > 0 && queue[0]!.due <= performance.now()) queue.shift()!.run()
    if (queue.length > 0) schedule(queue[0]!.due - performance.now())
  }
  const schedule = (delay: number) => {
    scheduled = true
    setTimeout(drain, delay)
  }
  return (run) => {
    queue.push({ due: performance.now() + ms, run })
    if (!scheduled) schedule(ms)
  }
}

const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4])

/** A frontend message that asks for a statement's result: Parse ('P') or a simple Query ('Q'). */
const isQueryStart = (data: Buffer) => data[0] === 0x50 || data[0] === 0x51

function endsWithTerminate(data: Buffer): boolean {
  return data.length >= 5 && data.subarray(data.length - 5).equals(TERMINATE)
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, host, () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}
