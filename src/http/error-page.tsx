import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { HonoEnv } from '../types'

const ErrorPage: FC<{ status: number; title: string; message: string; requestId: string }> = (props) => (
  <section class="error-page">
    <h1>{props.title}</h1>
    <p>{props.message}</p>
    <p class="muted small">
      Error {props.status} · request <code>{props.requestId}</code>
    </p>
    <p>
      <a href="/">Back to EchoForge Hub</a>
    </p>
  </section>
)

/** A readable error page for browser routes (the JSON envelope is for `/api/*`), in the site's layout. */
export function renderErrorPage(
  c: Context<HonoEnv>,
  status: ContentfulStatusCode,
  title: string,
  message: string,
  requestId: string,
) {
  c.status(status)
  return c.render(<ErrorPage status={status} title={title} message={message} requestId={requestId} />, { title })
}
