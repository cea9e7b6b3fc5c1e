// A stand-in OAuth 2.0 provider for tests and local development: an authorize endpoint that
// consents at once (or refuses, per client), a token endpoint with the authorization_code
// grant (PKCE S256 checked, codes single-use) and the refresh_token grant, and a protected
// resource to prove a token works. Tests register their own client first, so runs never share state.
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendJson, startHttpServer } from './http.ts'

export interface FakeClient {
  client_id: string
  /** When set, the token endpoint requires it (HTTP Basic or client_secret_post). */
  client_secret?: string
  account_id: string
  account_name: string
  /** Lifetime of issued access tokens; 0 issues tokens that are already expired. */
  expires_in: number
  /** The authorize endpoint redirects back with `error=access_denied` instead of a code. */
  deny?: boolean
  /** Issue a new refresh token on every refresh (and retire the old one). */
  rotate_refresh_tokens?: boolean
}

interface Grant {
  client_id: string
  redirect_uri: string
  code_challenge: string
  scope: string
  expires: number
}

interface Stats {
  authorization_code: number
  refresh_token: number
  refused: number
}

const base64Url = (bytes: Buffer) => bytes.toString('base64url')
const token = (prefix: string) => `${prefix}_${base64Url(randomBytes(24))}`

function formOf(req: IncomingMessage, body: string): URLSearchParams {
  return (req.headers['content-type'] ?? '').includes('application/json')
    ? new URLSearchParams(JSON.parse(body || '{}') as Record<string, string>)
    : new URLSearchParams(body)
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '')
  if (!match) return null
  const [id, secret] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':')
  return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') }
}

export async function startFakeOAuthProvider(port = 0, preregistered: FakeClient[] = []) {
  const clients = new Map<string, FakeClient>(preregistered.map((c) => [c.client_id, c]))
  const codes = new Map<string, Grant>()
  const refreshTokens = new Map<string, { client_id: string; scope: string }>()
  const accessTokens = new Map<string, { client_id: string; expires: number }>()
  const stats = new Map<string, Stats>()
  const statsOf = (clientId: string) => {
    const existing = stats.get(clientId)
    if (existing) return existing
    const fresh: Stats = { authorization_code: 0, refresh_token: 0, refused: 0 }
    stats.set(clientId, fresh)
    return fresh
  }

  const refuse = (res: ServerResponse, clientId: string, status: number, error: string, description: string) => {
    statsOf(clientId).refused++
    sendJson(res, status, { error, error_description: description })
  }

  const issue = (client: FakeClient, scope: string) => {
    const access = token('at')
    accessTokens.set(access, { client_id: client.client_id, expires: Date.now() + client.expires_in * 1000 })
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: client.expires_in,
      scope,
      account_id: client.account_id,
      account_name: client.account_name,
    }
  }

  function authorize(url: URL, res: ServerResponse) {
    const q = url.searchParams
    const client = clients.get(q.get('client_id') ?? '')
    const redirectUri = q.get('redirect_uri')
    if (!client || !redirectUri) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Unknown client or missing redirect_uri')
      return
    }
    const back = new URL(redirectUri)
    if (q.get('state')) back.searchParams.set('state', q.get('state')!)
    if (client.deny) {
      back.searchParams.set('error', 'access_denied')
      back.searchParams.set('error_description', 'The user declined to connect')
    } else if (
      q.get('response_type') !== 'code' ||
      q.get('code_challenge_method') !== 'S256' ||
      !q.get('code_challenge')
    ) {
      back.searchParams.set('error', 'invalid_request')
      back.searchParams.set('error_description', 'response_type=code with an S256 code_challenge is required')
    } else {
      const code = token('code')
      codes.set(code, {
        client_id: client.client_id,
        redirect_uri: redirectUri,
        code_challenge: q.get('code_challenge')!,
        scope: q.get('scope') ?? '',
        expires: Date.now() + 60_000,
      })
      back.searchParams.set('code', code)
    }
    res.writeHead(302, { location: back.toString() }).end()
  }

  function tokenEndpoint(req: IncomingMessage, body: string, res: ServerResponse) {
    const form = formOf(req, body)
    const basic = basicCredentials(req.headers.authorization)
    const clientId = basic?.id ?? form.get('client_id') ?? ''
    const client = clients.get(clientId)
    if (!client) return refuse(res, clientId, 401, 'invalid_client', 'Unknown client')
    if (client.client_secret !== undefined) {
      const presented = basic?.secret ?? form.get('client_secret')
      if (presented !== client.client_secret) return refuse(res, clientId, 401, 'invalid_client', 'Bad client secret')
    }

    const grantType = form.get('grant_type')
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? ''
      const grant = codes.get(code)
      codes.delete(code)
      if (!grant || grant.client_id !== clientId || grant.expires < Date.now()) {
        return refuse(res, clientId, 400, 'invalid_grant', 'Unknown, used or expired code')
      }
      if (grant.redirect_uri !== form.get('redirect_uri')) {
        return refuse(res, clientId, 400, 'invalid_grant', 'redirect_uri does not match')
      }
      const verifier = form.get('code_verifier') ?? ''
      const challenge = base64Url(createHash('sha256').update(verifier).digest())
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || challenge !== grant.code_challenge) {
        return refuse(res, clientId, 400, 'invalid_grant', 'PKCE verification failed')
      }
      statsOf(clientId).authorization_code++
      const refresh = token('rt')
      refreshTokens.set(refresh, { client_id: clientId, scope: grant.scope })
      return sendJson(res, 200, { ...issue(client, grant.scope), refresh_token: refresh })
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? ''
      const known = refreshTokens.get(presented)
      if (!known || known.client_id !== clientId) {
        return refuse(res, clientId, 400, 'invalid_grant', 'Unknown or revoked refresh token')
      }
      statsOf(clientId).refresh_token++
      const answer: Record<string, unknown> = issue(client, known.scope)
      if (client.rotate_refresh_tokens) {
        refreshTokens.delete(presented)
        const next = token('rt')
        refreshTokens.set(next, known)
        answer.refresh_token = next
      }
      return sendJson(res, 200, answer)
    }
    return refuse(res, clientId, 400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`)
  }

  /** A protected resource: who the bearer token belongs to, if it is valid and unexpired. */
  function me(req: IncomingMessage, res: ServerResponse) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? ''
    const found = accessTokens.get(bearer)
    if (!found || found.expires <= Date.now()) return sendJson(res, 401, { error: 'invalid_token' })
    const client = clients.get(found.client_id)!
    return sendJson(res, 200, { account_id: client.account_id, account_name: client.account_name })
  }

  function registerClient(body: string, res: ServerResponse) {
    const input = JSON.parse(body || '{}') as Partial<FakeClient>
    const client: FakeClient = {
      client_id: input.client_id ?? `client_${base64Url(randomBytes(6))}`,
      account_id: input.account_id ?? `acct_${base64Url(randomBytes(6))}`,
      account_name: input.account_name ?? 'Example Workspace',
      expires_in: input.expires_in ?? 3600,
      ...(input.client_secret !== undefined ? { client_secret: input.client_secret } : {}),
      ...(input.deny ? { deny: true } : {}),
      ...(input.rotate_refresh_tokens ? { rotate_refresh_tokens: true } : {}),
    }
    clients.set(client.client_id, client)
    sendJson(res, 201, client)
  }

  return startHttpServer((req, body, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const route = `${req.method} ${url.pathname}`
    if (route === 'GET /oauth/authorize') return authorize(url, res)
    if (route === 'POST /oauth/token') return tokenEndpoint(req, body, res)
    if (route === 'GET /api/me') return me(req, res)
    if (route === 'POST /__clients') return registerClient(body, res)
    const statsMatch = /^GET \/__clients\/([^/]+)\/stats$/.exec(route)
    if (statsMatch) return sendJson(res, 200, statsOf(decodeURIComponent(statsMatch[1]!)))
    const clientMatch = /^PATCH \/__clients\/([^/]+)$/.exec(route)
    if (clientMatch) {
      const existing = clients.get(decodeURIComponent(clientMatch[1]!))
      if (!existing) return sendJson(res, 404, { error: 'unknown client' })
      Object.assign(existing, JSON.parse(body || '{}'))
      return sendJson(res, 200, existing)
    }
    return sendJson(res, 404, { error: 'not_found' })
  }, port)
}

/** The demo catalog's provider (catalog/demo.json: demo-docs) signs in against this client. */
export const DEMO_OAUTH_CLIENT: FakeClient = {
  client_id: 'echoforge-demo',
  client_secret: 'demo-client-secret',
  account_id: 'demo-workspace',
  account_name: 'Demo Workspace',
  expires_in: 3600,
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startFakeOAuthProvider(Number(process.env.PORT ?? 8791), [DEMO_OAUTH_CLIENT])
  console.log(`Fake OAuth provider on ${server.url} (authorize: /oauth/authorize, token: /oauth/token)`)
}
