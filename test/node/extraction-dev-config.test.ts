// The extraction Worker under `wrangler dev` (npm run dev, the bench, the browser tests): its config
// is wrangler.extraction.toml, and it is handed exactly the variables its env schema reads.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EXTRACTION_ENV_KEYS } from '../../queues/extraction-env'
import { EXTRACTION_VARS, writeExtractionDevConfig } from '../../scripts/wrangler-dev.ts'

const ROOT = resolve(import.meta.dirname, '../..')
let dir: string | undefined

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the extraction Worker’s dev config', () => {
  it('lists the variables its env schema reads, no more and no fewer', () => {
    expect([...EXTRACTION_VARS].sort()).toEqual([...EXTRACTION_ENV_KEYS].sort())
  })

  it('is wrangler.extraction.toml with an absolute main, its share of the vars in a .dev.vars beside it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'extraction-config-'))
    const path = await writeExtractionDevConfig(dir, {
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:5435/postgres',
      OPENAI_BASE_URL: 'http://127.0.0.1:8790/v1',
      ENCRYPTION_KEY: 'not-for-the-extraction-worker',
      HUB_SERVICE_SECRET: 'not-for-the-extraction-worker-either',
      LOG_LEVEL: undefined,
    })
    const config = JSON.parse(await readFile(path, 'utf8'))
    expect(config).toMatchObject({
      name: 'echoforge-extraction',
      main: join(ROOT, 'queues/extraction-worker.ts'),
      limits: { cpu_ms: 60000 },
      r2_buckets: [{ binding: 'UPLOADS', bucket_name: 'echoforge-uploads' }],
      queues: {
        consumers: [
          {
            queue: 'echoforge-documents',
            max_batch_size: 1,
            max_concurrency: 20,
            dead_letter_queue: 'echoforge-documents-dlq',
          },
          {
            queue: 'echoforge-documents-suspect',
            max_batch_size: 1,
            max_concurrency: 2,
            dead_letter_queue: 'echoforge-documents-dlq',
          },
          { queue: 'echoforge-documents-dlq' },
        ],
      },
    })
    expect(config.queues.producers).toBeUndefined()
    expect(await readFile(join(dir, '.dev.vars'), 'utf8')).toBe(
      'DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5435/postgres"\nOPENAI_BASE_URL="http://127.0.0.1:8790/v1"\n',
    )
  })
})
