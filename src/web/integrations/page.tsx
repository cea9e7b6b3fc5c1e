import type { FC } from 'hono/jsx'
import type { IntegrationSummary } from '../../integrations/model'
import type { ProviderChoice } from '../../integrations/providers'
import { CsrfField } from '../shared/layout'

export interface IntegrationsPageProps {
  providers: ProviderChoice[]
  /** Summaries only: the page never receives a token, plaintext or encrypted. */
  integrations: IntegrationSummary[]
  csrf: string
  notice?: { kind: 'info' | 'bad'; text: string }
}

const FLASH: Record<string, string> = {
  connected: 'Connected. Your agents can now use this account.',
  disconnected: 'Disconnected. The stored tokens were deleted.',
}

export function integrationsFlash(params: URLSearchParams): IntegrationsPageProps['notice'] {
  for (const [key, text] of Object.entries(FLASH)) if (params.has(key)) return { kind: 'info', text }
  return undefined
}

const STATUS_LABEL: Record<IntegrationSummary['status'], string> = {
  active: 'connected',
  expired: 'expired: reconnect',
  revoked: 'disconnected',
  error: 'error: reconnect',
}

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : null)

const ConnectLink: FC<{ provider: ProviderChoice; again?: boolean }> = ({ provider, again }) => (
  // A plain navigation (not boosted): the browser goes on to the provider's own site.
  <a class="button small" href={`/integrations/${provider.slug}/connect`} hx-boost="false">
    {again ? 'Reconnect' : 'Connect'}
  </a>
)

const Account: FC<{ integration: IntegrationSummary; provider?: ProviderChoice; csrf: string }> = ({
  integration,
  provider,
  csrf,
}) => (
  <li class="row spread" data-integration={integration.id}>
    <span>
      <strong>{integration.account_name || integration.account_id}</strong>{' '}
      <span class={`badge ${integration.status}`}>{STATUS_LABEL[integration.status]}</span>
      {integration.connected && integration.token_expires_at ? (
        <span class="muted small">
          {' '}
          · token renews automatically (current one until {when(integration.token_expires_at)} UTC)
        </span>
      ) : null}
    </span>
    <span class="actions">
      {!integration.connected && provider ? <ConnectLink provider={provider} again /> : null}
      {integration.connected ? (
        <form method="post" action={`/integrations/${integration.id}/disconnect`} class="inline">
          <CsrfField token={csrf} />
          <button type="submit" class="button small">
            Disconnect
          </button>
        </form>
      ) : null}
    </span>
  </li>
)

export const IntegrationsPage: FC<IntegrationsPageProps> = ({ providers, integrations, csrf, notice }) => {
  const bySlug = new Map(providers.map((p) => [p.slug, p]))
  return (
    <>
      <h1>Integrations</h1>
      <p class="muted">
        Connect the accounts your agents may use. Tokens are stored encrypted and are only ever given to your agents.
      </p>
      {notice ? (
        <div class={`notice ${notice.kind}`} role={notice.kind === 'bad' ? 'alert' : 'status'}>
          <p>{notice.text}</p>
        </div>
      ) : null}
      {providers.length === 0 && integrations.length === 0 ? <p>No integrations are available yet.</p> : null}
      <div class="grid">
        {providers.map((provider) => {
          const accounts = integrations.filter((i) => i.provider.slug === provider.slug)
          return (
            <section class="card" aria-labelledby={`provider-${provider.slug}`}>
              <div class="spread">
                <h2 id={`provider-${provider.slug}`}>{provider.name}</h2>
                {accounts.some((a) => a.connected) ? null : <ConnectLink provider={provider} />}
              </div>
              {provider.scopes ? <p class="muted small">Permissions asked for: {provider.scopes}</p> : null}
              {accounts.length > 0 ? (
                <ul>
                  {accounts.map((integration) => (
                    <Account integration={integration} provider={provider} csrf={csrf} />
                  ))}
                </ul>
              ) : (
                <p class="muted">Not connected.</p>
              )}
            </section>
          )
        })}
        {integrations
          .filter((i) => !bySlug.has(i.provider.slug))
          .map((integration) => (
            <section class="card">
              <h2>{integration.provider.name}</h2>
              <p class="muted small">This provider is no longer offered.</p>
              <ul>
                <Account integration={integration} csrf={csrf} />
              </ul>
            </section>
          ))}
      </div>
    </>
  )
}
