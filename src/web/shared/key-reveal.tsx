import type { FC } from 'hono/jsx'

/** A freshly issued API key, shown once: selectable without JavaScript, a copy button with it. */
export const KeyReveal: FC<{ apiKey: string }> = ({ apiKey }) => (
  <div class="card" hx-history="false">
    <h2>Your API key</h2>
    <div class="notice warn">
      <p>
        <strong>Copy this key now.</strong> It is shown only this once; we store only a fingerprint of it. If you lose
        it, rotate the key on the agent's page.
      </p>
    </div>
    <div class="key-box">
      <label for="api-key" class="visually-hidden">
        API key
      </label>
      <input id="api-key" type="text" readonly value={apiKey} data-api-key="" />
      <button type="button" class="secondary" data-copy-target="api-key" hidden>
        Copy
      </button>
    </div>
    <p id="api-key-status" class="copied small" aria-live="polite"></p>
  </div>
)
