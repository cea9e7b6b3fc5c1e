import type { FC } from 'hono/jsx'
import type { KnowledgeDocument } from '../../knowledge/documents'
import type { SearchResult } from '../../knowledge/search'
import { MAX_SEARCH_WORDS, parseSearchQuery } from '../../knowledge/search-query'
import { CsrfField } from '../shared/layout'

const STATUS_LABEL: Record<KnowledgeDocument['status'], string> = {
  pending: 'Waiting',
  processing: 'Processing',
  indexed: 'Indexed',
  error: 'Error',
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

const inProgress = (docs: KnowledgeDocument[]) => docs.some((d) => d.status === 'pending' || d.status === 'processing')

/**
 * The documents table. While any document is still being processed it polls itself every
 * 2 seconds (HTMX replaces it in place); once all are settled the answer carries no trigger.
 */
export const DocumentsTable: FC<{ kbId: string; documents: KnowledgeDocument[]; csrfToken: string }> = ({
  kbId,
  documents,
  csrfToken,
}) => {
  const polling = inProgress(documents)
  return (
    <div
      id="documents"
      hx-get={polling ? `/knowledge/${kbId}/documents` : undefined}
      hx-trigger={polling ? 'every 2s' : undefined}
      hx-swap={polling ? 'outerHTML' : undefined}
      aria-live="polite"
    >
      {documents.length === 0 ? (
        <p class="muted">No documents yet: upload files or paste text above.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Document</th>
              <th scope="col">Status</th>
              <th scope="col">Size</th>
              <th scope="col">Chunks</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {documents.map((d) => (
              <tr id={`document-${d.id}`} data-status={d.status}>
                <td>
                  {d.title}
                  {d.errorMessage ? <p class="error small">{d.errorMessage}</p> : null}
                </td>
                <td>
                  <span class={`badge ${d.status === 'indexed' ? 'active' : d.status === 'error' ? 'inactive' : ''}`}>
                    {STATUS_LABEL[d.status]}
                  </span>
                </td>
                <td>{formatBytes(d.fileSize)}</td>
                <td>{d.chunkCount}</td>
                <td class="actions">
                  <form method="post" action={`/knowledge/${kbId}/documents/${d.id}/reindex`} class="inline">
                    <CsrfField token={csrfToken} />
                    <button type="submit" class="secondary small">
                      Re-index
                    </button>
                  </form>
                  <form method="post" action={`/knowledge/${kbId}/documents/${d.id}/delete`} class="inline">
                    <CsrfField token={csrfToken} />
                    <button type="submit" class="danger small">
                      Delete
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {polling ? <p class="muted small">Processing… this list updates by itself.</p> : null}
    </div>
  )
}

const rankLabel = (label: string, rank: number | null) => (rank === null ? `${label} –` : `${label} #${rank}`)

/** Terms past the query's first MAX_SEARCH_WORDS words, which the search left out, said so. */
const DroppedTerms: FC<{ query: string }> = ({ query }) => {
  const { dropped } = parseSearchQuery(query)
  if (dropped.length === 0) return null
  const shown = dropped.slice(0, 20).join(' ')
  return (
    <p class="notice" role="status">
      Only the first {MAX_SEARCH_WORDS} words were searched for; left out: “{shown}
      {dropped.length > 20 ? ` … and ${dropped.length - 20} more` : ''}”.
    </p>
  )
}

/** The search answer: the results, or why there are none (`refused`: the search was not run). */
export const SearchResults: FC<{ query: string; results: SearchResult[] | null; refused?: string }> = ({
  query,
  results,
  refused,
}) => {
  if (refused)
    return (
      <div id="search-results" aria-live="polite">
        <p class="notice bad" role="alert">
          {refused}
        </p>
      </div>
    )
  if (results === null) return <div id="search-results" />
  return (
    <div id="search-results" aria-live="polite">
      <DroppedTerms query={query} />
      {results.length === 0 ? (
        <p class="muted">No matching passages for “{query}”.</p>
      ) : (
        <ol class="search-results">
          {results.map((r) => (
            <li>
              <p class="small muted">
                Score <strong>{r.score.toFixed(3)}</strong> · {rankLabel('meaning', r.vectorRank)} ·{' '}
                {rankLabel('keywords', r.keywordRank)} · {r.documentTitle} · chunk {r.chunkIndex}
              </p>
              {r.highlight ? (
                // Built by highlightHtml: escaped text, only <mark> added.
                <p class="highlight" dangerouslySetInnerHTML={{ __html: r.highlight }} />
              ) : null}
              <blockquote>{r.content.length > 600 ? `${r.content.slice(0, 600)}…` : r.content}</blockquote>
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}
