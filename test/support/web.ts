import type { Executor } from '../../src/db/client'
import { factories } from './factories'
import { WebClient } from './web-client'

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
