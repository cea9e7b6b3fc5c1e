import { zValidator } from '@hono/zod-validator'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { InvalidInput, PlanLimitReached, TooLarge, UnsupportedFileType } from '../../errors'
import { bodyLimits } from '../../http/body-limit'
import { refuseUnstorableBody } from '../../http/text-guard'
import { documentQueues } from '../../knowledge/document-lanes'
import {
  addTextDocument,
  type DocumentDeps,
  deleteDocument,
  listDocuments,
  pastedTextSchema,
  reindexDocument,
  uploadDocument,
} from '../../knowledge/documents'
import {
  createKnowledgeBase,
  deleteKnowledgeBase,
  getKnowledgeBase,
  knowledgeBaseInputSchema,
  listKnowledgeBases,
  updateKnowledgeBase,
} from '../../knowledge/knowledge-bases'
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_REQUEST_BYTES } from '../../knowledge/limits'
import { SEARCH_MODES, type SearchMode, type SearchResult, searchKnowledgeBase } from '../../knowledge/search'
import { admitSearch, type SearchAdmission, searchRateLimitedMessage } from '../../knowledge/search-rate-limit'
import type { HonoEnv } from '../../types'
import { csrfTokenOf } from '../shared/csrf'
import { field, isHtmx } from '../shared/forms'
import { requireCustomer, signedIn } from '../shared/session'
import { formStrings, formText, type Invalid, showInvalid, textFields } from '../shared/validation'
import { DocumentsTable, SearchResults } from './components'
import { KnowledgeBasePage, KnowledgeListPage } from './pages'

const NOTICES: Record<string, string> = {
  created: 'Knowledge base created. Add documents below.',
  saved: 'Saved.',
  uploaded: 'Uploaded: the documents are being processed.',
  reindexing: 'The document is queued for re-indexing.',
  removed: 'The document and its chunks were deleted.',
}

const kbUrl = (id: string, notice?: keyof typeof NOTICES) => `/knowledge/${id}${notice ? `?notice=${notice}` : ''}`

function documentDeps(c: Context<HonoEnv>): DocumentDeps {
  return { db: c.var.services.database.db, bucket: c.env.UPLOADS, queues: documentQueues(c.env) }
}

async function renderKnowledgeBase(
  c: Context<HonoEnv>,
  kbId: string,
  extra: {
    errors?: string[]
    upgradeUrl?: string
    query?: string
    mode?: SearchMode
    results?: SearchResult[] | null
  } = {},
  status?: 422,
) {
  const { customer } = signedIn(c)
  const { db } = c.var.services.database
  const kb = await getKnowledgeBase(db, customer.id, kbId)
  const documents = await listDocuments(db, customer.id, kb.id)
  if (status) c.status(status)
  return c.render(
    <KnowledgeBasePage
      kb={kb}
      documents={documents}
      csrfToken={csrfTokenOf(c)}
      notice={NOTICES[c.req.query('notice') ?? '']}
      {...extra}
    />,
    { title: kb.name, active: 'knowledge' },
  )
}

const createForm = textFields(['name', 'description'], knowledgeBaseInputSchema)
const settingsForm = z.preprocess((raw) => {
  const form = formStrings(raw, ['name', 'description', 'search_language'])
  return { name: form.name, description: form.description, searchLanguage: form.search_language.trim() || undefined }
}, knowledgeBaseInputSchema)
const textForm = textFields(['title', 'text'], pastedTextSchema)
/** Never invalid: a long query is cut, an unknown mode is the default one. */
const searchForm = z.object({
  query: formText.transform((query) => query.slice(0, 2000)),
  mode: formText.pipe(z.enum(SEARCH_MODES)).catch('hybrid'),
})

async function showCreateErrors(c: Context<HonoEnv>, { errors, values }: Invalid) {
  const knowledgeBases = await listKnowledgeBases(c.var.services.database.db, signedIn(c).customer.id)
  return c.render(
    <KnowledgeListPage
      knowledgeBases={knowledgeBases}
      csrfToken={csrfTokenOf(c)}
      errors={Object.values(errors)}
      values={{ name: field(values, 'name'), description: field(values, 'description') }}
    />,
    { title: 'Knowledge bases', active: 'knowledge' },
  )
}

const showPageErrors = (c: Context<HonoEnv>, { errors }: Invalid) =>
  renderKnowledgeBase(c, c.req.param('id') ?? '', { errors: Object.values(errors) })

/** A refusal the customer can act on (wrong type, too big, empty, over the plan...): shown on the page, not an error page. */
const isRefusal = (error: unknown): error is InvalidInput | PlanLimitReached | UnsupportedFileType | TooLarge =>
  error instanceof InvalidInput ||
  error instanceof PlanLimitReached ||
  error instanceof UnsupportedFileType ||
  error instanceof TooLarge

export const knowledgeRoutes = new Hono<HonoEnv>()
  .use('/knowledge', requireCustomer())
  .use('/knowledge/*', requireCustomer())
  .get('/knowledge', async (c) => {
    const { customer } = signedIn(c)
    const knowledgeBases = await listKnowledgeBases(c.var.services.database.db, customer.id)
    return c.render(<KnowledgeListPage knowledgeBases={knowledgeBases} csrfToken={csrfTokenOf(c)} />, {
      title: 'Knowledge bases',
      active: 'knowledge',
    })
  })
  .post('/knowledge', zValidator('form', createForm, showInvalid(showCreateErrors)), async (c) => {
    const { customer } = signedIn(c)
    const { db } = c.var.services.database
    const values = c.req.valid('form')
    try {
      const kb = await createKnowledgeBase(db, customer.id, values)
      return c.redirect(kbUrl(kb.id, 'created'), 303)
    } catch (error) {
      // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
      if (!isRefusal(error)) throw error
      const knowledgeBases = await listKnowledgeBases(db, customer.id)
      c.status(422)
      return c.render(
        <KnowledgeListPage
          knowledgeBases={knowledgeBases}
          csrfToken={csrfTokenOf(c)}
          errors={[error.message]}
          values={values}
        />,
        { title: 'Knowledge bases', active: 'knowledge' },
      )
    }
  })
  .get('/knowledge/:id', (c) => renderKnowledgeBase(c, c.req.param('id')))
  .post('/knowledge/:id', zValidator('form', settingsForm, showInvalid(showPageErrors)), async (c) => {
    const { customer } = signedIn(c)
    // The form validator above checks the domain's own schema: nothing left for the domain to refuse.
    await updateKnowledgeBase(c.var.services.database.db, customer.id, c.req.param('id'), c.req.valid('form'))
    return c.redirect(kbUrl(c.req.param('id'), 'saved'), 303)
  })
  .post('/knowledge/:id/delete', async (c) => {
    const { customer } = signedIn(c)
    await deleteKnowledgeBase(c.var.services.database.db, c.env.UPLOADS, customer.id, c.req.param('id'))
    return c.redirect('/knowledge', 303)
  })
  .get('/knowledge/:id/documents', async (c) => {
    const { customer } = signedIn(c)
    const { db } = c.var.services.database
    const kb = await getKnowledgeBase(db, customer.id, c.req.param('id'))
    const documents = await listDocuments(db, customer.id, kb.id)
    return c.html(<DocumentsTable kbId={kb.id} documents={documents} csrfToken={csrfTokenOf(c)} />)
  })
  // Behind requireCustomer (session, then the CSRF token from a peek at the first part): only then is
  // the body limited when it came without a Content-Length (src/app.ts) and parsed for its text.
  .post('/knowledge/:id/documents', bodyLimits([], MAX_UPLOAD_REQUEST_BYTES), refuseUnstorableBody(), async (c) => {
    const { customer } = signedIn(c)
    const kbId = c.req.param('id')
    const deps = documentDeps(c)
    await getKnowledgeBase(deps.db, customer.id, kbId)
    // A form that does not parse was refused by refuseUnstorableBody; a body that is no form at all
    // (another Content-Type) has no files either.
    const form = await c.req.formData().catch(() => null)
    const files = (form?.getAll('files') ?? []).filter((f): f is File => typeof f !== 'string' && f.name !== '')
    if (files.length === 0)
      return renderKnowledgeBase(c, kbId, { errors: ['Choose at least one file to upload.'] }, 422)
    const errors: string[] = []
    let upgradeUrl: string | undefined
    for (const file of files) {
      try {
        if (file.size > MAX_UPLOAD_BYTES) throw new TooLarge(`"${file.name}" is larger than the 25 MB limit`)
        const bytes = new Uint8Array(await file.arrayBuffer())
        await uploadDocument(deps, { customerId: customer.id, kbId, fileName: file.name, bytes })
      } catch (error) {
        // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
        if (!isRefusal(error)) throw error
        errors.push(error.message)
        upgradeUrl ??= error.nextStep?.href
      }
    }
    if (errors.length > 0) return renderKnowledgeBase(c, kbId, { errors, upgradeUrl }, 422)
    return c.redirect(kbUrl(kbId, 'uploaded'), 303)
  })
  .post('/knowledge/:id/text', zValidator('form', textForm, showInvalid(showPageErrors)), async (c) => {
    const { customer } = signedIn(c)
    const kbId = c.req.param('id')
    try {
      await addTextDocument(documentDeps(c), { customerId: customer.id, kbId, ...c.req.valid('form') })
    } catch (error) {
      // Anything else (a database error, a bug) goes to the central error handler (src/http/error-handler.ts).
      if (!isRefusal(error)) throw error
      return renderKnowledgeBase(c, kbId, { errors: [error.message], upgradeUrl: error.nextStep?.href }, 422)
    }
    return c.redirect(kbUrl(kbId, 'uploaded'), 303)
  })
  .post('/knowledge/:id/documents/:documentId/reindex', async (c) => {
    const { customer } = signedIn(c)
    const kb = await getKnowledgeBase(c.var.services.database.db, customer.id, c.req.param('id'))
    await reindexDocument(documentDeps(c), customer.id, c.req.param('documentId'))
    return c.redirect(kbUrl(kb.id, 'reindexing'), 303)
  })
  .post('/knowledge/:id/documents/:documentId/delete', async (c) => {
    const { customer } = signedIn(c)
    const kb = await getKnowledgeBase(c.var.services.database.db, customer.id, c.req.param('id'))
    await deleteDocument(documentDeps(c), customer.id, c.req.param('documentId'))
    return c.redirect(kbUrl(kb.id, 'removed'), 303)
  })
  .post('/knowledge/:id/search', zValidator('form', searchForm), async (c) => {
    const { customer } = signedIn(c)
    const { db } = c.var.services.database
    const kb = await getKnowledgeBase(db, customer.id, c.req.param('id'))
    const { query, mode } = c.req.valid('form')
    const admission: SearchAdmission = query
      ? await admitSearch(c.env.SEARCH_RATE_LIMITER, customer.id)
      : { admitted: true }
    if (!admission.admitted) {
      const refused = searchRateLimitedMessage(admission.retryAfterSeconds)
      c.header('Retry-After', String(admission.retryAfterSeconds))
      c.status(429)
      if (isHtmx(c)) return c.html(<SearchResults query={query} results={null} refused={refused} />)
      return renderKnowledgeBase(c, kb.id, { query, mode, errors: [refused] })
    }
    const results = query
      ? await searchKnowledgeBase({
          db,
          config: c.var.services.config,
          kbId: kb.id,
          customerId: customer.id,
          query,
          mode,
          topK: 5,
        })
      : []
    if (isHtmx(c)) return c.html(<SearchResults query={query} results={results} />)
    return renderKnowledgeBase(c, kb.id, { query, mode, results })
  })
