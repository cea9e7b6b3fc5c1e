import { z } from 'zod'
import { ProviderRefused, Unavailable } from '../errors'
import { redactString } from '../platform/logger'
import type { ProviderWithSecret } from './model'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

const idLike = z.union([z.string().min(1), z.number()]).transform(String)

const tokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().int().positive().optional(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
  account_id: idLike.optional(),
  account_name: z.string().optional(),
  workspace_id: idLike.optional(),
  workspace_name: z.string().optional(),
  user_id: idLike.optional(),
  team: z.looseObject({ id: idLike.optional(), name: z.string().optional() }).optional(),
})

const errorResponse = z.looseObject({ error: z.string().min(1), error_description: z.string().optional() })

export interface TokenSet {
  accessToken: string
  refreshToken: string | null
  expiresAt: Date | null
  scope: string | null
  tokenType: string
  /** The provider's account the tokens belong to, when the token response names it. */
  account: { id: string; name: string } | null
}

const KNOWN_ERRORS: Record<string, string> = {
  access_denied: 'access was denied',
  invalid_grant: 'the authorisation is no longer valid',
  invalid_client: 'the app credentials were not accepted',
  invalid_request: 'the request was not valid',
  invalid_scope: 'the requested permissions were not accepted',
  unauthorized_client: 'this app is not allowed to connect',
  unsupported_grant_type: 'this kind of connection is not supported',
  server_error: 'the provider had an error',
  temporarily_unavailable: 'the provider is temporarily unavailable',
}

/** A readable sentence for an OAuth error code and description (provider text is shortened and redacted). */
export function describeOAuthError(code: string, description?: string): string {
  const safeCode = code.replace(/[^\w.-]/g, '').slice(0, 60) || 'unknown_error'
  const known = KNOWN_ERRORS[safeCode] ?? safeCode.replaceAll('_', ' ')
  const detail = description ? redactString(description).slice(0, 200) : ''
  return detail ? `${known} (${detail})` : known
}

function basicAuth(clientId: string, clientSecret: string) {
  return `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`
}

function accountOf(body: z.infer<typeof tokenResponse>): TokenSet['account'] {
  const id = body.account_id ?? body.workspace_id ?? body.team?.id ?? body.user_id
  if (!id) return null
  return { id, name: body.account_name ?? body.workspace_name ?? body.team?.name ?? '' }
}

/** POSTs a grant to the provider's token endpoint (client auth: HTTP Basic when there is a secret). */
export async function requestTokens(
  provider: ProviderWithSecret,
  grant: Record<string, string>,
  options: { fetch?: FetchLike; now?: Date } = {},
): Promise<TokenSet> {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  const form = new URLSearchParams({ ...grant, client_id: provider.clientId })
  if (provider.clientSecret) headers.authorization = basicAuth(provider.clientId, provider.clientSecret.reveal())

  let res: Response
  try {
    res = await doFetch(provider.tokenUrl, { method: 'POST', headers, body: form.toString() })
  } catch (cause) {
    throw new Unavailable(`Could not reach ${provider.name}. Please try again.`, { cause })
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const refusal = errorResponse.safeParse(body)
    if (refusal.success && res.status < 500) {
      // A refusal from the token endpoint (RFC 6749 §5.2), e.g. `invalid_grant`.
      const { error, error_description } = refusal.data
      throw new ProviderRefused(
        `${provider.name} refused the request: ${describeOAuthError(error, error_description)}`,
        error,
      )
    }
    throw new Unavailable(`${provider.name} answered with an error (${res.status}). Please try again.`)
  }
  const parsed = tokenResponse.safeParse(body)
  if (!parsed.success) {
    throw new Unavailable(`${provider.name} sent a token response this app cannot read.`)
  }
  const now = options.now ?? new Date()
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token ?? null,
    expiresAt: parsed.data.expires_in ? new Date(now.getTime() + parsed.data.expires_in * 1000) : null,
    scope: parsed.data.scope ?? null,
    tokenType: parsed.data.token_type ?? 'Bearer',
    account: accountOf(parsed.data),
  }
}
