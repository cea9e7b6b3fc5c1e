import type { Executor } from '../../src/db/client'
import { testDb } from './db'
import { type FactoryOverrides, factories } from './factories'
import { WebClient } from './web-client'

/** A customer (no plan yet) with an admin user, logged in with a browser of its own. */
export async function signedInAccount(customerOverrides: FactoryOverrides<'customer'> = {}) {
  const { db } = testDb()
  const f = factories(db)
  const customer = await f.customer(customerOverrides)
  const user = await f.customerUser({ customerId: customer.id })
  const web = new WebClient()
  const session = await web.loginAs(db, user)
  return { db, f, customer, user, web, session }
}

/**
 * A customer with an admin user, a subscription (every signed-up customer has one: the
 * trial) and a logged-in browser. The spec's tests log in with `force_login`; so does this.
 */
export async function signedInCustomer(db: Executor, limits?: Record<string, number>) {
  const f = factories(db)
  const customer = await f.customer()
  const user = await f.customerUser({ customerId: customer.id })
  const plan = await f.plan(limits ? { limits } : {})
  await f.subscription({ customerId: customer.id, planId: plan.id })
  const web = new WebClient()
  const session = await web.loginAs(db, user)
  return { f, customer, user, plan, web, session }
}

/** The API key a page shows once (src/web/shared/key-reveal.tsx: the wizard's last step, a rotation). */
export function shownApiKey(html: string): string | undefined {
  return /id="api-key"[^>]*value="([^"]+)"/.exec(html)?.[1]
}
