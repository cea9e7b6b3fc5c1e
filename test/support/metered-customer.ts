import type { Executor } from '../../src/db/client'
import { type FactoryOverrides, factories } from './factories'

export interface MeteredCustomerOptions {
  /** Messages the agent used in the subscription's current period, against a limit of 100. */
  messagesUsed: number
  customer?: FactoryOverrides<'customer'>
  subscription?: FactoryOverrides<'subscription'>
  agent?: FactoryOverrides<'agentInstance'>
}

/**
 * A customer on a plan of 100 messages, with an agent whose usage this period is `messagesUsed`
 * and a second agent the customer switched off itself (which billing must never switch back on).
 */
export async function meteredCustomer(db: Executor, o: MeteredCustomerOptions) {
  const f = factories(db)
  const customer = await f.customer(o.customer)
  const plan = await f.plan({ limits: { messages: 100 } })
  const subscription = await f.subscription({ customerId: customer.id, planId: plan.id, ...o.subscription })
  const agent = await f.agentInstance({ customerId: customer.id, ...o.agent })
  const switchedOff = await f.agentInstance({ customerId: customer.id, isActive: false, disabledReason: 'manual' })
  await f.usageRecord({
    customerId: customer.id,
    agentInstanceId: agent.id,
    periodStart: subscription.currentPeriodStart,
    periodEnd: subscription.currentPeriodEnd,
    messages: o.messagesUsed,
  })
  return { f, customer, plan, subscription, agent, switchedOff }
}
