// Live interop check between src/platform/fernet.ts and Python's `cryptography.fernet`,
// both ways, with fresh random keys and plaintexts each run:
//   1. tokens written here are decrypted by Python (single key and MultiFernet rotation);
//   2. tokens Python writes are decrypted here;
//   3. Python decrypts the committed fixture test/fixtures/fernet/ours-tokens.json.
// `--write-fixture` regenerates that fixture. Needs python3 with `cryptography`.
// Usage: npm run fernet:interop [-- --write-fixture]
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createFernet, generateFernetKey } from '../src/platform/fernet.ts'

const here = (path: string) => new URL(path, import.meta.url).pathname
const PYTHON_SCRIPT = here('./fernet-interop.py')
const FIXTURE = here('../test/fixtures/fernet/ours-tokens.json')

interface Entry {
  key: string
  plaintext: string
  token: string
}

const plaintexts = () => [
  '',
  'a',
  'exactly sixteen!',
  `ya29.${randomBytes(48).toString('base64url')}`,
  `1//${randomBytes(32).toString('base64')}`,
  'unicode: café, 東京, 🔑',
  'x'.repeat(4099),
  String.fromCharCode(...randomBytes(200).map((b) => Math.max(b, 32))),
]

async function tokensFor(keys: Record<string, string>, names: string[], texts: string[]): Promise<Entry[]> {
  const out: Entry[] = []
  for (const name of names) {
    const fernet = createFernet(name.split(',').map((k) => keys[k]!))
    for (const plaintext of texts) out.push({ key: name, plaintext, token: await fernet.encrypt(plaintext) })
  }
  return out
}

function runPython(args: string[], input?: string) {
  const result = spawnSync('python3', [PYTHON_SCRIPT, ...args], { input, encoding: 'utf8' })
  if (result.error) throw new Error(`python3 could not be started: ${result.error.message}`)
  if (result.status === 2 || /ModuleNotFoundError/.test(result.stderr)) {
    throw new Error(`python3 with the cryptography package is required:\n${result.stderr}`)
  }
  return result
}

const keys = { a: generateFernetKey(), b: generateFernetKey() }
let failed = false

if (process.argv.includes('--write-fixture')) {
  const fixtureKeys = {
    a: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
    b: 'p0tY2d0LrA3k9Bh8r4fQx6T1-zUjqEoVnW5sKcM7aY8=',
  }
  const tokens = await tokensFor(fixtureKeys, ['a', 'b,a'], ['oauth-access-token-123', '', 'unicode: café, 東京, 🔑'])
  writeFileSync(
    FIXTURE,
    `${JSON.stringify({ generated_by: 'src/platform/fernet.ts', keys: fixtureKeys, tokens }, null, 2)}\n`,
  )
  console.log(`wrote ${tokens.length} tokens to ${FIXTURE}`)
}

// 1 + 2: ours → Python, and Python → ours, in one round trip.
const ours = await tokensFor(keys, ['a', 'b', 'b,a'], plaintexts())
const asked = plaintexts().flatMap((plaintext) => ['a', 'b,a'].map((key) => ({ key, plaintext })))
const round = runPython(['--stdin'], JSON.stringify({ keys, tokens: ours, encrypt: asked }))
const answer = JSON.parse(round.stdout || '{}') as { checked?: number; failures?: unknown[]; tokens?: Entry[] }
const pythonFailures = answer.failures ?? [{ problem: round.stderr }]
console.log(`Python decrypted ${(answer.checked ?? 0) - pythonFailures.length}/${ours.length} tokens written here`)
if (pythonFailures.length > 0) {
  failed = true
  console.error(pythonFailures)
}

let readHere = 0
for (const entry of answer.tokens ?? []) {
  // Decrypt with the key list reversed too: any configured key must open a token.
  const names = entry.key.split(',')
  for (const order of [names, [...names].reverse()]) {
    const plain = await createFernet(order.map((k) => keys[k as 'a' | 'b']))
      .decrypt(entry.token)
      .catch(() => null)
    if (plain !== entry.plaintext) {
      failed = true
      console.error(`FAILED to read a Python token (${entry.key}): ${entry.token.slice(0, 16)}…`)
    } else readHere++
  }
}
console.log(
  `Decrypted here ${readHere}/${(answer.tokens?.length ?? 0) * 2} reads of ${answer.tokens?.length ?? 0} tokens written by Python`,
)
if ((answer.tokens?.length ?? 0) !== asked.length) failed = true

// 3: the committed fixture.
const fixture = runPython([FIXTURE])
process.stdout.write(fixture.stdout)
if (fixture.status !== 0) failed = true

console.log(failed ? 'Fernet interop: FAILED' : 'Fernet interop: OK')
process.exit(failed ? 1 : 0)
