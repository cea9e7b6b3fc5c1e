import { html } from 'hono/html'

/** A readable error page for browser routes (the JSON envelope is for `/api/*`). */
export function errorPage(status: number, title: string, message: string, requestId: string) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · EchoForge Hub</title>
    <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="/static/app.css" />
  </head>
  <body>
    <header class="topbar">
      <a class="brand" href="/">EchoForge <span>Hub</span></a>
    </header>
    <main>
      <section class="error-page">
        <h1>${title}</h1>
        <p>${message}</p>
        <p class="muted small">Error ${status} · request <code>${requestId}</code></p>
        <p><a href="/">Back to EchoForge Hub</a></p>
      </section>
    </main>
  </body>
</html>`
}
