import { afterEach } from 'vitest'
import { createDb, type DbHandle } from '../../src/db/client'
import { testConfig } from './env'

const open: DbHandle[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

/**
 * A database handle for this test, closed after it. With `applicationName`, its sessions carry it
 * (as a race case's Worker invocations do, see `taggedWorker` in ./races), so they can be counted.
 */
export function testDb(applicationName?: string): DbHandle {
  const config = testConfig()
  const url = new URL(config.DATABASE_URL)
  if (applicationName) url.searchParams.set('application_name', applicationName)
  const handle = createDb({ ...config, DATABASE_URL: url.toString() })
  open.push(handle)
  return handle
}
