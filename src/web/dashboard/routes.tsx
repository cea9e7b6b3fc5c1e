import { Hono } from 'hono'
import { loadDashboard } from '../../customers/dashboard'
import type { HonoEnv } from '../../types'
import { page } from '../shared/layout'
import { requireCustomer, signedIn } from '../shared/session'
import { DashboardPage } from './page'

export const dashboardRoutes = new Hono<HonoEnv>().get('/dashboard', requireCustomer(), async (c) => {
  const { customer } = signedIn(c)
  const dashboard = await loadDashboard(c.var.services.database.db, customer.id)
  return page(c, { title: 'Dashboard', active: 'dashboard' }, <DashboardPage dashboard={dashboard} />)
})
