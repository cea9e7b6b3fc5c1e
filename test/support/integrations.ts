import type { Executor } from '../../src/db/client'
import { customerSessions } from '../../src/db/schema'
import { sha256Hex } from '../../src/platform/crypto'
import type { Logger } from '../../src/platform/logger'
import { env } from './env'
import { factories, uniq } from './factories'

export interface LogLine {
  level: string
  message: string
  fields?: Record<string, unknown>
}

/** A logger that keeps what it is told, for asserting on warnings. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields })
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => recordingLogger(lines),
  }
}

/** A signed-in browser session row for a customer (the cookie value is returned, the table keeps its hash). */
export async function browserSession(db: Executor, customerId: string) {
  const user = await factories(db).customerUser({ customerId })
  const cookie = `session-${uniq()}-${uniq()}`
  const id = await sha256Hex(cookie)
  await db.insert(customerSessions).values({
    id,
    userId: user.id,
    customerId,
    csrfToken: `csrf-${uniq()}`,
    expiresAt: new Date(Date.now() + 3_600_000),
  })
  return { id, customerId, cookie, user }
}

export const providerBase = () => {
  const url = env.OAUTH_TEST_PROVIDER_URL
  if (!url) throw new Error('OAUTH_TEST_PROVIDER_URL is not bound')
  return url
}

export interface FakeClientOptions {
  client_secret?: string
  account_id?: string
  account_name?: string
  expires_in?: number
  deny?: boolean
  rotate_refresh_tokens?: boolean
}

/** Registers a fresh client at the stand-in provider and a matching provider row here. */
export async function fakeProvider(db: Executor, options: FakeClientOptions = {}) {
  const clientId = `client-${uniq()}`
  const res = await fetch(`${providerBase()}/__clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: clientId, ...options }),
  })
  if (!res.ok) throw new Error(`fake provider refused the client: ${res.status}`)
  const provider = await factories(db).integrationProvider({
    name: `Acme Docs ${uniq()}`,
    authorizeUrl: `${providerBase()}/oauth/authorize`,
    tokenUrl: `${providerBase()}/oauth/token`,
    scopes: 'docs.read docs.write',
    clientId,
    clientSecret: options.client_secret ?? null,
  })
  return { provider, clientId }
}

export async function providerStats(clientId: string) {
  const res = await fetch(`${providerBase()}/__clients/${encodeURIComponent(clientId)}/stats`)
  return (await res.json()) as { authorization_code: number; refresh_token: number; refused: number }
}

export async function updateFakeClient(clientId: string, patch: FakeClientOptions) {
  await fetch(`${providerBase()}/__clients/${encodeURIComponent(clientId)}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  })
}

/** Whether the stand-in provider accepts this access token at its protected resource. */
export async function providerAccepts(accessToken: string) {
  const res = await fetch(`${providerBase()}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } })
  return res.ok ? ((await res.json()) as { account_id: string; account_name: string }) : null
}
