// The token endpoint client against provider answers the stand-in OAuth provider never gives:
// a fetch double at the network edge answers what a broken or misconfigured provider would.
import { describe, expect, it } from 'vitest'
import type { ProviderWithSecret } from '../../src/integrations/model'
import { type FetchLike, requestTokens } from '../../src/integrations/token-endpoint'

const provider = {
  name: 'Demo Docs',
  tokenUrl: 'https://provider.example/oauth/token',
  clientId: 'client-id',
  clientSecret: null,
} as unknown as ProviderWithSecret

const answering =
  (body: string, status: number): FetchLike =>
  async () =>
    new Response(body, { status, headers: { 'content-type': 'text/html' } })

const grant = { grant_type: 'authorization_code', code: 'the-code' }

describe('requestTokens: answers that are not JSON', () => {
  it('an HTML error page is a "try again" 503 naming the status, not a parse error', async () => {
    const attempt = requestTokens(provider, grant, { fetch: answering('<html>Bad gateway</html>', 502) })
    await expect(attempt).rejects.toMatchObject({
      message: 'Demo Docs answered with an error (502). Please try again.',
    })
  })

  it('a 200 that is not JSON is a token response this app cannot read', async () => {
    const attempt = requestTokens(provider, grant, { fetch: answering('access_token=abc&token_type=bearer', 200) })
    await expect(attempt).rejects.toMatchObject({
      message: 'Demo Docs sent a token response this app cannot read.',
    })
  })
})
