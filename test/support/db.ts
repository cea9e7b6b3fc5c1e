import { afterEach } from 'vitest'
import { createDb, type DbHandle } from '../../src/db/client'
import { testConfig } from './env'

const open: DbHandle[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

/** A database handle for this test, closed after it. */
export function testDb(): DbHandle {
  const handle = createDb(testConfig())
  open.push(handle)
  return handle
}
