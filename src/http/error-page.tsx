import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { NextStep } from '../errors'
import type { HonoEnv } from '../types'

interface ErrorPageProps {
  status: number
  title: string
  message: string
  requestId: string
  nextStep?: NextStep
}

const ErrorPage: FC<ErrorPageProps> = (props) => (
  <section class="error-page">
    <h1>{props.title}</h1>
    <p>{props.message}</p>
    {props.nextStep ? (
      <p>
        <a class="button" href={props.nextStep.href}>
          {props.nextStep.label}
        </a>
      </p>
    ) : null}
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
  nextStep?: NextStep,
) {
  c.status(status)
  return c.render(
    <ErrorPage status={status} title={title} message={message} requestId={requestId} nextStep={nextStep} />,
    { title },
  )
}
