import { Hono } from 'hono'
import { loadDashboard } from '../../customers/dashboard'
import type { HonoEnv } from '../../types'
import { requireCustomer, signedIn } from '../shared/session'
import { DashboardPage } from './page'

export const dashboardRoutes = new Hono<HonoEnv>().get('/dashboard', requireCustomer(), async (c) => {
  const { customer } = signedIn(c)
  const dashboard = await loadDashboard(c.var.services.database.db, customer.id)
  return c.render(<DashboardPage dashboard={dashboard} />, { title: 'Dashboard', active: 'dashboard' })
})
