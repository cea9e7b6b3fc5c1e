import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createDb, logPoolErrors } from '../../src/db/client'
import type { Logger } from '../../src/platform/logger'
import { testConfig } from '../support/env'

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = []
  const logger: Logger = {
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
    child: () => logger,
  }
  return { logger, lines }
}

describe('db/client', () => {
  it('logs an error the pool emits (an idle connection that broke) instead of dropping it', () => {
    const { logger, lines } = recordingLogger()
    const pool = new EventEmitter()
    logPoolErrors(pool as never, logger)
    const broken = new Error('Connection terminated unexpectedly')
    pool.emit('error', broken)
    expect(lines).toEqual([{ level: 'warn', message: 'database pool error', fields: { error: broken } }])
  })

  it('logs a close that fails, and the close itself still resolves', async () => {
    const { logger, lines } = recordingLogger()
    const handle = createDb(testConfig(), logger)
    await handle.db.execute('select 1')
    await handle.close()
    expect(lines).toEqual([])
    await expect(handle.close()).resolves.toBeUndefined()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'warn', message: 'database pool close failed' })
    expect(lines[0]?.fields?.error).toBeInstanceOf(Error)
  })
})
