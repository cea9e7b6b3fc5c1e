import { Hono } from 'hono'
import type { HonoEnv } from '../types'
import { agentRoutes } from './agents/routes'
import { authRoutes } from './auth/routes'
import { billingWebRoutes } from './billing/routes'
import { dashboardRoutes } from './dashboard/routes'
import { integrationWebRoutes } from './integrations/routes'
import { knowledgeRoutes } from './knowledge/routes'
import { onboardingRoutes } from './onboarding/routes'
import { staticAssets } from './shared/static-assets'

/**
 * The customer web app, one feature folder each (routes, pages, loaders); what they share
 * (layout, session, CSRF, form helpers, components) lives in `shared/`.
 */
export function createWebApp() {
  return new Hono<HonoEnv>()
    .route('/', staticAssets)
    .route('/', authRoutes)
    .route('/', dashboardRoutes)
    .route('/', onboardingRoutes)
    .route('/', agentRoutes)
    .route('/', knowledgeRoutes)
    .route('/', billingWebRoutes)
    .route('/', integrationWebRoutes)
}
