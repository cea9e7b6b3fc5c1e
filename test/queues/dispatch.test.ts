// The Worker's queue entry (queues/index.ts): what it does with a batch it cannot handle.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import type { Bindings } from '../../src/types'
import { env } from '../support/env'

afterEach(() => {
  vi.restoreAllMocks()
})

function errorLog() {
  const lines: string[] = []
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '))
  })
  return lines
}

async function deliverTo(queue: string, bindings: Bindings) {
  const batch = createMessageBatch(queue, [{ id: 'm1', timestamp: new Date(), attempts: 1, body: { documentId: 'x' } }])
  const ctx = createExecutionContext()
  await worker.queue(batch, bindings, ctx)
  return getQueueResult(batch, ctx)
}

describe('queue dispatch', () => {
  it('retries a batch from a queue it does not consume, acknowledging nothing, and logs it', async () => {
    const logged = errorLog()
    const result = await deliverTo('some-other-queue', env)
    expect(result.explicitAcks).toEqual([])
    expect(result.retryBatch).toMatchObject({ retry: true })
    expect(logged.join('\n')).toContain('message from an unknown queue; retrying later')
  })

  it('retries the whole batch when the environment is invalid, naming the problem in the log', async () => {
    const { ENCRYPTION_KEY: _key, ...invalid } = env
    const logged = errorLog()
    const result = await deliverTo('echoforge-documents', invalid as Bindings)
    expect(result.explicitAcks).toEqual([])
    expect(result.retryBatch).toMatchObject({ retry: true })
    expect(logged.join('\n')).toContain('ENCRYPTION_KEY is not set')
  })
})
