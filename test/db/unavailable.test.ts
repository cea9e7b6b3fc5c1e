import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '../../src/db/unavailable'

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code })
/** How drizzle wraps a driver error: "Failed query: ..." with the driver's error as its cause. */
const failedQuery = (cause: unknown) => new Error('Failed query: select 1', { cause })

describe('isDatabaseUnavailable', () => {
  it.each([
    ['SQLSTATE 08006 (connection failure)', withCode('08006')],
    ['SQLSTATE 57P01 (admin shutdown)', withCode('57P01')],
    ['SQLSTATE 57P03 (cannot connect now)', withCode('57P03')],
    ['SQLSTATE 53300 (too many connections)', withCode('53300')],
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['the pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ["the driver's query timeout", new Error('Query read timeout')],
    ['a server starting up', new Error('the database system is starting up')],
  ])('is true for %s, bare or wrapped by drizzle', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true)
    expect(isDatabaseUnavailable(failedQuery(error))).toBe(true)
  })

  it.each([
    ['a unique violation (23505)', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a statement the server refused (42601)', withCode('42601', 'syntax error')],
    ['an error of our own', new Error('Query read timeout exceeded by the customer')],
    ['a string', 'Connection terminated'],
    ['nothing', undefined],
  ])('is false for %s, bare or wrapped', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false)
    expect(isDatabaseUnavailable(failedQuery(error))).toBe(false)
  })
})
