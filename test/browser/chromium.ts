import { type Browser, chromium } from 'playwright-core'

/** Debian's chromium package (`npx playwright install` cannot download browsers here). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // wrangler dev listens on 127.0.0.1; the tests must say "localhost" (a secure context for cookies).
      '--host-resolver-rules=MAP localhost 127.0.0.1',
    ],
  })
}
