// The knowledge base page's search box under hostile use: a query past the word cap, and a
// customer over the search rate (the same limiter as the internal API's search).
import { describe, expect, it } from 'vitest'
import { MAX_SEARCH_WORDS } from '../../src/knowledge/search-query'
import { admitSearch, SEARCH_RATE_LIMIT } from '../../src/knowledge/search-rate-limit'
import { testDb } from '../support/db'
import { env } from '../support/env'
import { signedInCustomer } from '../support/web'

async function setup() {
  const { db } = testDb()
  const signedIn = await signedInCustomer(db)
  const kb = await signedIn.f.knowledgeBase({ customerId: signedIn.customer.id, name: 'Help centre' })
  const doc = await signedIn.f.knowledgeDocument({ knowledgeBaseId: kb.id, status: 'indexed' })
  await signedIn.f.documentChunk({ documentId: doc.id, content: 'Our shop opens at nine in the morning.' })
  await signedIn.web.page(`/knowledge/${kb.id}`)
  const search = (query: string, htmx = true) =>
    signedIn.web.post(
      `/knowledge/${kb.id}/search`,
      { query, mode: 'keyword' },
      { headers: htmx ? { 'HX-Request': 'true' } : {} },
    )
  return { ...signedIn, kb, search }
}

describe('knowledge base page: search limits', () => {
  it(`searches the first ${MAX_SEARCH_WORDS} words of a long query and says which were left out`, async () => {
    const { search } = await setup()
    expect(await (await search('shop')).text()).toContain('Our shop opens at nine')

    const filler = Array.from({ length: 40 }, (_, i) => `zq${i}`)
    const res = await search(`${filler.join(' ')} shop`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).not.toContain('Our shop opens at nine')
    expect(html).toContain(
      `Only the first ${MAX_SEARCH_WORDS} words were searched for; left out: “${[...filler.slice(MAX_SEARCH_WORDS), 'shop'].join(' ')}”.`,
    )
    // A short query says nothing of the kind.
    expect(await (await search('shop')).text()).not.toContain('were searched for')
  })

  it('tells a customer over its search rate to wait, with 429, in the results and on the full page', async () => {
    const { customer, search } = await setup()
    const message = `Too many searches: at most ${SEARCH_RATE_LIMIT.searches} per ${SEARCH_RATE_LIMIT.periodSeconds} seconds for your account. Please try again in ${SEARCH_RATE_LIMIT.periodSeconds} seconds.`
    // The binding's windows are fixed: a request right at a window's end could find a fresh one, so once more then.
    let res: Response | undefined
    for (let attempt = 0; attempt < 2 && res?.status !== 429; attempt++) {
      for (let i = 0; i <= 2 * SEARCH_RATE_LIMIT.searches; i++)
        if (!(await admitSearch(env.SEARCH_RATE_LIMITER, customer.id)).admitted) break
      res = await search('shop')
    }
    expect(res?.status).toBe(429)
    expect(res?.headers.get('Retry-After')).toBe(String(SEARCH_RATE_LIMIT.periodSeconds))
    const fragment = (await res?.text()) ?? ''
    expect(fragment).toContain(message)
    expect(fragment).not.toContain('Our shop opens at nine')

    const page = await search('shop', false)
    expect(page.status).toBe(429)
    const html = await page.text()
    expect(html).toContain(message)
    expect(html).toContain('Help centre')
  })
})
