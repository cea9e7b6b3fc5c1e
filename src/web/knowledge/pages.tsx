import type { FC } from 'hono/jsx'
import { SEARCH_LANGUAGES, type SearchLanguage } from '../../db/schema'
import type { KnowledgeDocument } from '../../knowledge/documents'
import { ACCEPTED_EXTENSIONS } from '../../knowledge/file-types'
import type { SearchMode, SearchResult } from '../../knowledge/search'
import { SelectField, TextAreaField, TextField } from '../shared/field'
import { CsrfField } from '../shared/layout'
import { DocumentsTable, SearchResults } from './components'

export interface KnowledgeBaseSummary {
  id: string
  name: string
  description: string
  documentCount: number
}

const Notice: FC<{ notice?: string; errors?: string[]; upgradeUrl?: string }> = ({ notice, errors, upgradeUrl }) => (
  <>
    {notice ? (
      <div class="notice ok" role="status">
        <p>{notice}</p>
      </div>
    ) : null}
    {errors && errors.length > 0 ? (
      <div class="notice bad" role="alert">
        {errors.map((e) => (
          <p>{e}</p>
        ))}
        {upgradeUrl ? (
          <p>
            <a href={upgradeUrl}>Compare plans and upgrade</a>
          </p>
        ) : null}
      </div>
    ) : null}
  </>
)

export const KnowledgeListPage: FC<{
  knowledgeBases: KnowledgeBaseSummary[]
  csrfToken: string
  errors?: string[]
  values?: { name?: string; description?: string }
}> = ({ knowledgeBases, csrfToken, errors, values }) => (
  <>
    <h1>Knowledge bases</h1>
    <p class="muted">Documents your agents search when they answer.</p>
    <Notice errors={errors} />
    {knowledgeBases.length === 0 ? (
      <p class="card">You have no knowledge bases yet.</p>
    ) : (
      <div class="card">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Documents</th>
            </tr>
          </thead>
          <tbody>
            {knowledgeBases.map((kb) => (
              <tr>
                <td>
                  <a href={`/knowledge/${kb.id}`}>{kb.name}</a>
                  {kb.description ? <p class="muted small">{kb.description}</p> : null}
                </td>
                <td>{kb.documentCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <section class="card">
      <h2>New knowledge base</h2>
      <form method="post" action="/knowledge">
        <CsrfField token={csrfToken} />
        <TextField name="name" label="Name" maxlength={120} value={values?.name} />
        <TextField
          name="description"
          label="Description"
          required={false}
          maxlength={1000}
          value={values?.description}
        />
        <div class="actions">
          <button type="submit">Create</button>
        </div>
      </form>
    </section>
  </>
)

export interface KnowledgeBasePageProps {
  kb: { id: string; name: string; description: string; searchLanguage: SearchLanguage }
  documents: KnowledgeDocument[]
  csrfToken: string
  notice?: string
  errors?: string[]
  /** Set when an error is a plan limit: the notice links to the billing page. */
  upgradeUrl?: string
  query?: string
  mode?: SearchMode
  results?: SearchResult[] | null
}

const MODE_OPTIONS = [
  { value: 'hybrid', label: 'Hybrid: keywords and meaning (what agents use)' },
  { value: 'vector', label: 'Meaning only (embeddings)' },
  { value: 'keyword', label: 'Keywords only (full text)' },
]

const LANGUAGE_OPTIONS = SEARCH_LANGUAGES.map((value) => ({
  value,
  label: value === 'simple' ? 'None (exact words, no stemming)' : value[0]!.toUpperCase() + value.slice(1),
}))

export const KnowledgeBasePage: FC<KnowledgeBasePageProps> = (p) => {
  const base = `/knowledge/${p.kb.id}`
  return (
    <div id="knowledge-base">
      <p class="muted small">
        <a href="/knowledge">Knowledge bases</a> / {p.kb.name}
      </p>
      <h1>{p.kb.name}</h1>
      {p.kb.description ? <p class="muted">{p.kb.description}</p> : null}
      <Notice notice={p.notice} errors={p.errors} upgradeUrl={p.upgradeUrl} />

      <section class="card">
        <h2>Add documents</h2>
        <form method="post" action={`${base}/documents`} enctype="multipart/form-data">
          {/* First: the CSRF check reads only the first part of an upload (src/http/multipart-peek.ts). */}
          <CsrfField token={p.csrfToken} />
          <div class="field">
            <label for="kb-files">Files</label>
            <input id="kb-files" type="file" name="files" multiple accept={ACCEPTED_EXTENSIONS.join(',')} required />
            <p class="help">PDF, Word (.docx), HTML, Markdown or text; up to 25 MB each.</p>
          </div>
          <div class="actions">
            <button type="submit">Upload</button>
          </div>
        </form>
        <form method="post" action={`${base}/text`}>
          <CsrfField token={p.csrfToken} />
          <TextField name="title" label="Title" maxlength={200} />
          <TextAreaField name="text" label="Text" rows={5} />
          <div class="actions">
            <button type="submit">Add text</button>
          </div>
        </form>
      </section>

      <section class="card">
        <h2>Documents</h2>
        <DocumentsTable kbId={p.kb.id} documents={p.documents} csrfToken={p.csrfToken} />
      </section>

      <section class="card">
        <h2>Try a search</h2>
        <form
          method="post"
          action={`${base}/search`}
          hx-post={`${base}/search`}
          hx-target="#search-results"
          hx-swap="outerHTML"
        >
          <CsrfField token={p.csrfToken} />
          <TextField
            name="query"
            label="Question"
            maxlength={2000}
            value={p.query}
            help='Use "quotes" for an exact phrase and -word to leave out passages with that word.'
          />
          <SelectField name="mode" label="Search by" value={p.mode ?? 'hybrid'} options={MODE_OPTIONS} />
          <div class="actions">
            <button type="submit">Search</button>
          </div>
        </form>
        <SearchResults query={p.query ?? ''} results={p.results ?? null} />
      </section>

      <section class="card">
        <h2>Settings</h2>
        <form method="post" action={base}>
          <CsrfField token={p.csrfToken} />
          <TextField name="name" label="Name" maxlength={120} value={p.kb.name} />
          <TextField
            name="description"
            label="Description"
            required={false}
            maxlength={1000}
            value={p.kb.description}
          />
          <SelectField
            name="search_language"
            label="Search language"
            value={p.kb.searchLanguage}
            options={LANGUAGE_OPTIONS}
            help="Keyword search matches word forms of this language (refund, refunds, refunded). Choose None for codes and mixed languages."
          />
          <div class="actions">
            <button type="submit">Save</button>
          </div>
        </form>
        <form method="post" action={`${base}/delete`}>
          <CsrfField token={p.csrfToken} />
          <div class="actions">
            <button type="submit" class="danger">
              Delete this knowledge base
            </button>
          </div>
          <p class="help small muted">Deletes every document, its chunks and its stored file.</p>
        </form>
      </section>
    </div>
  )
}
