import { Hono } from 'hono'
import type { HonoEnv } from '../types'
import { knowledgeRoutes } from './knowledge/routes'
import { agentRoutes } from './routes/agents'
import { authRoutes } from './routes/auth'
import { dashboardRoutes } from './routes/dashboard'
import { onboardingRoutes } from './routes/onboarding'
import { staticAssets } from './static'

/** The customer web app: static assets, accounts, dashboard, agents and the onboarding wizard. */
export function createWebApp() {
  return new Hono<HonoEnv>()
    .route('/', staticAssets)
    .route('/', authRoutes)
    .route('/', dashboardRoutes)
    .route('/', onboardingRoutes)
    .route('/', agentRoutes)
    .route('/', knowledgeRoutes)
}
