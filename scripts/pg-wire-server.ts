// Serves one PGlite instance on the Postgres wire protocol to many connections.
// PGlite is a single session, so connections take turns: a connection holds the session
// from its first message until its work reaches a synchronisation point (Sync or a simple
// Query) with no transaction open. Interleaving at a finer grain would let one client's
// messages land in another's extended-protocol exchange or transaction.
import net from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
/** A connection that holds the session this long without sending anything loses it. */
const STALLED_HOLDER_MS = 30_000

class SessionLock {
  private holder: Connection | null = null
  private waiting: Array<() => void> = []

  async acquire(conn: Connection) {
    while (this.holder && this.holder !== conn) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.holder = conn
  }

  heldBy(conn: Connection) {
    return this.holder === conn
  }

  release(conn: Connection) {
    if (this.holder !== conn) return
    this.holder = null
    this.waiting.shift()?.()
  }
}

class Connection {
  private buffer = Buffer.alloc(0)
  private started = false
  private batch: Buffer[] = []
  private work: Promise<void> = Promise.resolve()
  private stallTimer?: NodeJS.Timeout
  private closed = false

  private readonly socket: net.Socket
  private readonly db: PGlite
  private readonly lock: SessionLock

  constructor(socket: net.Socket, db: PGlite, lock: SessionLock) {
    this.socket = socket
    this.db = db
    this.lock = lock
    socket.setNoDelay(true)
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.work = this.work
        .then(() => this.drain())
        .catch(() => {
          this.socket.destroy()
        })
    })
    socket.on('close', () => void this.onClose())
    socket.on('error', () => socket.destroy())
  }

  private async drain() {
    while (!this.closed) {
      if (!this.started) {
        if (this.buffer.length < 8) return
        const length = this.buffer.readInt32BE(0)
        const code = this.buffer.readInt32BE(4)
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.buffer = this.buffer.subarray(8)
          this.socket.write('N')
          continue
        }
        if (code === CANCEL_REQUEST) {
          this.socket.end()
          return
        }
        if (this.buffer.length < length) return
        const startup = this.buffer.subarray(0, length)
        this.buffer = this.buffer.subarray(length)
        this.started = true
        await this.run([startup], true)
        continue
      }
      if (this.buffer.length < 5) return
      const type = String.fromCharCode(this.buffer[0]!)
      const length = 1 + this.buffer.readInt32BE(1)
      if (this.buffer.length < length) return
      const message = this.buffer.subarray(0, length)
      this.buffer = this.buffer.subarray(length)
      if (type === 'X') {
        this.socket.end()
        return
      }
      this.batch.push(message)
      if (type === 'S' || type === 'Q') await this.run(this.batch.splice(0), true)
      else if (type === 'H' || type === 'c' || type === 'f') await this.run(this.batch.splice(0), false)
    }
  }

  /** Runs messages with the session held; lets it go at a sync point outside a transaction. */
  private async run(messages: Buffer[], syncPoint: boolean) {
    await this.lock.acquire(this)
    if (this.closed) return this.lock.release(this)
    clearTimeout(this.stallTimer)
    await this.db.runExclusive(async () => {
      for (const message of messages) {
        await this.db.execProtocolRawStream(new Uint8Array(message), {
          onRawData: (data) => {
            if (!this.socket.destroyed) this.socket.write(data)
          },
        })
      }
    })
    if (syncPoint && !this.db.isInTransaction()) this.lock.release(this)
    else this.stallTimer = setTimeout(() => this.socket.destroy(), STALLED_HOLDER_MS)
  }

  private async onClose() {
    this.closed = true
    clearTimeout(this.stallTimer)
    await this.work.catch(() => {})
    if (!this.lock.heldBy(this)) return
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => {})
    this.lock.release(this)
  }
}

export interface PgWireServer {
  port: number
  stop(): Promise<void>
}

export async function servePGlite(db: PGlite, host: string, port: number): Promise<PgWireServer> {
  const lock = new SessionLock()
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    new Connection(socket, db, lock)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
