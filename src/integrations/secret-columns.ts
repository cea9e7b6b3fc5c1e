// Every column declared with `encryptedText` (src/db/encrypted-column.ts), as plain data so the
// Node key-rotation script can use it without loading the Drizzle schema. A test checks this
// list against the schema, so a new secret column cannot be forgotten here.
export const SECRET_COLUMNS = [
  { table: 'integration_providers', column: 'client_secret' },
  { table: 'integrations', column: 'access_token' },
  { table: 'integrations', column: 'refresh_token' },
  { table: 'oauth_states', column: 'code_verifier' },
] as const
