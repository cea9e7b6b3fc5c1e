import type { Customer, CustomerSession } from './customers/sessions'
import type { Services } from './http/services'

/** Worker bindings: the generated `Env` plus secrets, which the zod env schema validates. */
export type Bindings = Env & {
  DATABASE_URL?: string
  LOCAL_WS_PROXY?: string
  HUB_SERVICE_SECRET?: string
  ENCRYPTION_KEY?: string
  OPENAI_API_KEY?: string
  OPENAI_BASE_URL?: string
  STRIPE_SECRET_KEY?: string
  STRIPE_WEBHOOK_SECRET?: string
  STRIPE_API_BASE?: string
  EMAIL_API_URL?: string
  EMAIL_API_KEY?: string
  EMAIL_FROM?: string
  APP_ORIGIN?: string
  LOG_LEVEL?: string
  /** Tests only: where the stand-in OAuth provider listens. */
  OAUTH_TEST_PROVIDER_URL?: string
}

export interface HonoEnv {
  Bindings: Bindings
  Variables: {
    requestId: string
    services: Services
    /** Set by `requireCustomer()` (src/web/shared/session.ts) on customer pages. */
    customer?: Customer
    session?: CustomerSession
  }
}
