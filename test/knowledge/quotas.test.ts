import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { knowledgeDocuments, knowledgeEmbeddingUsage } from '../../src/db/schema'
import { type PlanLimit, PlanLimitReached, UPGRADE_URL } from '../../src/errors'
import { addTextDocument, uploadDocument } from '../../src/knowledge/documents'
import { testDb } from '../support/db'
import { factories } from '../support/factories'
import { bucket, deliver, documentRow, fixture, message, recordingDocumentQueues } from '../support/knowledge'
import { signedInCustomer } from '../support/web'
import type { WebClient } from '../support/web-client'

async function customerOnPlan(
  limits: Record<string, number> | null,
  status: 'active' | 'trialing' | 'expired' = 'active',
) {
  const { db } = testDb()
  const f = factories(db)
  const kb = await f.knowledgeBase()
  if (limits) {
    const plan = await f.plan({ limits })
    await f.subscription({ customerId: kb.customerId, planId: plan.id, status })
  }
  const { queues, sent } = recordingDocumentQueues()
  const deps = { db, bucket: bucket(), queues }
  const upload = (fileName: string, bytes: Uint8Array) =>
    uploadDocument(deps, { customerId: kb.customerId, kbId: kb.id, fileName, bytes })
  const paste = (text: string) =>
    addTextDocument(deps, { customerId: kb.customerId, kbId: kb.id, title: 'Pasted', text })
  const documents = () => db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.customerId, kb.customerId))
  const stored = async () => (await bucket().list({ prefix: `customers/${kb.customerId}/` })).objects
  return { db, kb, upload, paste, sent, documents, stored }
}

/** The attempt is refused as a plan limit, naming the limit and linking to the upgrade page. */
async function expectPlanRefusal(attempt: Promise<unknown>, limit: PlanLimit, message: string) {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PlanLimitReached)
  expect(error).toMatchObject({
    message: expect.stringContaining(message),
    limit: { name: limit },
    nextStep: { href: UPGRADE_URL },
  })
}

describe('plan limits on documents (checked at upload, trial included)', () => {
  it('refuses the document beyond the plan’s count, storing and queueing nothing', async () => {
    const c = await customerOnPlan({ documents: 2 }, 'trialing')
    await c.upload('a.txt', fixture('sample.txt'))
    await c.paste('Second document.')
    await expectPlanRefusal(
      c.upload('c.txt', fixture('sample.txt')),
      'documents',
      'Your plan allows 2 documents and you have 2',
    )
    expect(await c.documents()).toHaveLength(2)
    expect(await c.stored()).toHaveLength(2)
    expect(c.sent).toHaveLength(2)
  })

  it('refuses a file that does not fit in the plan’s storage', async () => {
    const c = await customerOnPlan({ document_storage_mb: 1 })
    await c.upload('small.txt', new TextEncoder().encode('x '.repeat(300_000)))
    await expectPlanRefusal(
      c.upload('big.txt', new TextEncoder().encode('y '.repeat(300_000))),
      'document_storage_mb',
      'Your plan stores 1 MB of documents',
    )
    expect(await c.documents()).toHaveLength(1)
  })

  it('refuses uploads without an active or trialing plan', async () => {
    for (const c of [await customerOnPlan(null), await customerOnPlan({ documents: 10 }, 'expired')]) {
      await expectPlanRefusal(c.paste('Anything.'), 'plan', 'An active subscription or trial')
      expect(await c.stored()).toEqual([])
    }
  })

  it('concurrent uploads are counted one after another', async () => {
    const c = await customerOnPlan({ documents: 3 })
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => c.paste(`Document ${i}.`)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3)
    expect(await c.documents()).toHaveLength(3)
  })
})

describe('plan limit on embedded tokens per period', () => {
  it('indexes within the budget, records the tokens, fails a document that would pass it, then refuses uploads', async () => {
    const c = await customerOnPlan({ embedding_tokens: 1000 })
    const small = await c.paste('word '.repeat(600))
    await deliver([message(small.id)])
    expect((await documentRow(c.db, small.id))!.status).toBe('indexed')
    const [usage] = await c.db
      .select()
      .from(knowledgeEmbeddingUsage)
      .where(eq(knowledgeEmbeddingUsage.customerId, c.kb.customerId))
    expect(usage!.tokens).toBeGreaterThanOrEqual(600)

    const big = await c.paste('word '.repeat(1500))
    const result = await deliver([message(big.id)])
    expect(result.retryMessages).toEqual([])
    const failed = await documentRow(c.db, big.id)
    expect(failed!.status).toBe('error')
    expect(failed!.errorMessage).toMatch(/tokens to index, more than the \d+ left of your plan's 1,000/)
    expect(failed!.errorMessage).toContain('/billing/')

    await c.db
      .update(knowledgeEmbeddingUsage)
      .set({ tokens: 1000 })
      .where(eq(knowledgeEmbeddingUsage.customerId, c.kb.customerId))
    await expectPlanRefusal(
      c.paste('One more.'),
      'embedding_tokens',
      'tokens of document indexing for this billing period are used up',
    )
  })
})

const postUpload = (web: WebClient, kbId: string, fileName: string) =>
  web.postFiles(`/knowledge/${kbId}/documents`, [new File([fixture('sample.txt')], fileName, { type: 'text/plain' })])

describe('the knowledge base page', () => {
  it('shows the plan limit as a readable message with a link to upgrade', async () => {
    const { db } = testDb()
    const { customer, f, web } = await signedInCustomer(db, { documents: 1 })
    const kb = await f.knowledgeBase({ customerId: customer.id })
    expect((await postUpload(web, kb.id, 'one.txt')).status).toBe(303)
    const refused = await postUpload(web, kb.id, 'two.txt')
    expect(refused.status).toBe(422)
    const html = await refused.text()
    expect(html).toContain('Your plan allows 1 document and you have 1')
    expect(html).toContain('href="/billing/"')
  })

  it('refuses pasted text beyond the plan limit the same way, keeping nothing', async () => {
    const { db } = testDb()
    const { customer, f, web } = await signedInCustomer(db, { documents: 1 })
    const kb = await f.knowledgeBase({ customerId: customer.id })
    await web.page(`/knowledge/${kb.id}`)
    expect((await web.post(`/knowledge/${kb.id}/text`, { title: 'One', text: 'The first note.' })).status).toBe(303)
    const refused = await web.post(`/knowledge/${kb.id}/text`, { title: 'Two', text: 'The second note.' })
    expect(refused.status).toBe(422)
    const html = await refused.text()
    expect(html).toContain('Your plan allows 1 document and you have 1')
    expect(html).toContain('href="/billing/"')
    const titles = await db
      .select({ title: knowledgeDocuments.title })
      .from(knowledgeDocuments)
      .where(eq(knowledgeDocuments.knowledgeBaseId, kb.id))
    expect(titles).toEqual([{ title: 'One' }])
  })
})
