import { describe, expect, it } from 'vitest'
import { billedAgent, validateApiKey } from '../../support/billing'
import { testDb } from '../../support/db'
import { internalHeaders, statementsOf } from '../../support/http'

const validate = (key: string | undefined, extra: Record<string, string> = {}) =>
  validateApiKey(internalHeaders(undefined, key === undefined ? extra : { 'X-API-Key': key, ...extra }))

// Spec 4.3, checking the hash as well as the prefix.
describe('GET /api/internal/agent/validate-key', () => {
  it('accepts a valid key and names its agent, in one SQL statement', async () => {
    const { db } = testDb()
    const { agent, customer } = await billedAgent(db)
    const { res, body } = await validate(agent.apiKey)
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ valid: true, agent_instance_id: agent.id, is_active: true, customer_id: customer.id })
    expect(statementsOf(res)).toBe(1)
  })

  it('answers valid: false for an unknown key', async () => {
    const { res, body } = await validate('efk_nonexistent_0123456789abcdef')
    expect(res.status).toBe(200)
    expect(body).toEqual({ valid: false })
  })

  it('answers valid: false for the right prefix with a wrong secret (the prefix alone is not a key)', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { body } = await validate(`${agent.apiKeyPrefix}_fullkey`)
    expect(body).toEqual({ valid: false })
    expect((await validate(`${agent.apiKey}x`)).body).toEqual({ valid: false })
    expect((await validate(agent.apiKeyPrefix)).body).toEqual({ valid: false })
  })

  it('reports is_active: false for the key of an inactive agent', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db, { agent: { isActive: false } })
    const { body } = await validate(agent.apiKey)
    expect(body).toMatchObject({ valid: true, is_active: false, agent_instance_id: agent.id })
  })

  it.each([
    ['empty', ''],
    ['garbage', 'not a key at all'],
    ['SQL', "efk_x' OR '1'='1_abc"],
    ['too long', `efk_${'a'.repeat(70)}_${'b'.repeat(200)}`],
    ['punctuation', 'efk_abc_def!$%'],
  ])('answers valid: false for a malformed (%s) key without a hint', async (_label, key) => {
    const { res, body } = await validate(key)
    expect(res.status).toBe(200)
    expect(body).toEqual({ valid: false })
  })

  it('answers 400 in the envelope without X-API-Key', async () => {
    const { res, body } = await validate(undefined)
    expect(res.status).toBe(400)
    expect(body.error?.code).toBe('BAD_REQUEST')
  })

  it("does not validate a key of another customer's agent for this agent", async () => {
    const { db } = testDb()
    const { agent: mine } = await billedAgent(db)
    const { agent: theirs } = await billedAgent(db)
    expect((await validate(theirs.apiKey, { 'X-Agent-Instance-ID': mine.id })).body).toEqual({ valid: false })
    expect((await validate(mine.apiKey, { 'X-Agent-Instance-ID': mine.id })).body).toMatchObject({
      valid: true,
      agent_instance_id: mine.id,
    })
    const unscoped = await validate(theirs.apiKey)
    expect(unscoped.body).toMatchObject({ valid: true, agent_instance_id: theirs.id, customer_id: theirs.customerId })
  })

  it('requires the service secret', async () => {
    const { db } = testDb()
    const { agent } = await billedAgent(db)
    const { res } = await validateApiKey({ 'X-API-Key': agent.apiKey as string })
    expect(res.status).toBe(401)
  })
})
