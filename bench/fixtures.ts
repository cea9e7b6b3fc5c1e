// Rows the HTTP scenarios share: made on first use, once per `npm run bench`.
import { randomUUID } from 'node:crypto'
import type { BenchContext } from './types.ts'

/**
 * `make` run on the first call only; every later call (another scenario of the same run) gets
 * the same rows. `tag` keeps this run's names and slugs unique.
 */
export function oncePerRun<T>(make: (ctx: BenchContext, tag: string) => Promise<T>): (ctx: BenchContext) => Promise<T> {
  let made: Promise<T> | undefined
  return (ctx) => {
    made ??= make(ctx, randomUUID().slice(0, 8))
    return made
  }
}
