import { zValidator } from '@hono/zod-validator'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import {
  type AgentInstance,
  activateAgent,
  BillingKeepsAgentOff,
  customerAgent,
  deactivateAgent,
  embedDomainsOf,
  parseEmbedDomains,
  rotateApiKey,
  setEmbedDomains,
  updateConfiguration,
} from '../../agents/manage'
import { allFields, parseWizard } from '../../agents/onboarding/schema'
import { activeAgentTypes, agentTypeById, agentTypesInProgress } from '../../agents/onboarding/session'
import { asForm, validateFields } from '../../agents/onboarding/validate'
import { knowledgeBaseName } from '../../knowledge/knowledge-bases'
import type { HonoEnv } from '../../types'
import { csrfTokenOf } from '../shared/csrf'
import { field, readForm } from '../shared/forms'
import { requireCustomer, signedIn } from '../shared/session'
import { formText, type Invalid, showInvalid } from '../shared/validation'
import { CatalogPage } from './catalog-page'
import { AgentPage, type AgentPageProps } from './page'

const NOTICES: Record<string, string> = {
  configuration: 'Configuration saved.',
  domains: 'Embed domains saved.',
  activated: 'The agent is active again.',
  deactivated: 'The agent is deactivated; it no longer answers messages.',
}

type Extra = Partial<Pick<AgentPageProps, 'values' | 'errors' | 'notice' | 'problem' | 'newApiKey' | 'embedDomains'>>

async function renderAgent(c: Context<HonoEnv>, agent: AgentInstance, extra: Extra = {}, status?: 409 | 422) {
  const { db } = c.var.services.database
  const [type, kb] = await Promise.all([
    agentTypeById(db, agent.agentTypeId),
    agent.knowledgeBaseId ? knowledgeBaseName(db, agent.customerId, agent.knowledgeBaseId) : null,
  ])
  const wizard = type ? parseWizard(type.onboardingSchema) : null
  const fields = wizard?.ok ? allFields(wizard.wizard) : null
  const saved = fields ? asForm(fields, agent.configuration) : {}
  const values = Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, Array.isArray(v) ? (v.at(-1) ?? '') : v]))
  if (status) c.status(status)
  return c.render(
    <AgentPage
      agent={agent}
      typeName={type?.name ?? 'Agent'}
      knowledgeBase={kb ?? null}
      fields={fields}
      embedDomains={extra.embedDomains ?? embedDomainsOf(agent).join('\n')}
      values={extra.values ?? values}
      errors={extra.errors ?? {}}
      notice={extra.notice}
      problem={extra.problem}
      newApiKey={extra.newApiKey}
      csrfToken={csrfTokenOf(c)}
    />,
    { title: agent.name, active: 'dashboard' },
  )
}

const domainsForm = z.object({
  embed_domains: formText.transform((input, ctx) => {
    const parsed = parseEmbedDomains(input)
    if (parsed.ok) return parsed.domains
    ctx.addIssue({ code: 'custom', message: parsed.error })
    return z.NEVER
  }),
})

async function showDomainErrors(c: Context<HonoEnv>, { errors, values }: Invalid) {
  const agent = await customerAgent(c.var.services.database.db, signedIn(c).customer.id, c.req.param('id') ?? '')
  return renderAgent(c, agent, { embedDomains: field(values, 'embed_domains'), errors })
}

const agentUrl = (id: string, notice?: string) => `/agents/${id}${notice ? `?notice=${notice}` : ''}`

export const agentRoutes = new Hono<HonoEnv>()
  .get('/agents', requireCustomer(), (c) => c.redirect('/dashboard', 303))
  .get('/agents/new', requireCustomer(), async (c) => {
    const { customer } = signedIn(c)
    const { db } = c.var.services.database
    const [types, inProgress] = await Promise.all([activeAgentTypes(db), agentTypesInProgress(db, customer.id)])
    return c.render(<CatalogPage types={types} inProgress={inProgress} welcome={c.req.query('welcome') === '1'} />, {
      title: 'New agent',
      active: 'agents',
    })
  })
  .get('/agents/:id', requireCustomer(), async (c) => {
    const agent = await customerAgent(c.var.services.database.db, signedIn(c).customer.id, c.req.param('id'))
    return renderAgent(c, agent, { notice: NOTICES[c.req.query('notice') ?? ''] })
  })
  .post('/agents/:id/configuration', requireCustomer(), async (c) => {
    const { db } = c.var.services.database
    const customerId = signedIn(c).customer.id
    const agent = await customerAgent(db, customerId, c.req.param('id'))
    const type = await agentTypeById(db, agent.agentTypeId)
    const wizard = parseWizard(type?.onboardingSchema)
    if (!wizard.ok) return renderAgent(c, agent, {}, 422)
    const fields = allFields(wizard.wizard)
    const checked = validateFields(fields, await readForm(c))
    if (Object.keys(checked.errors).length > 0) {
      return renderAgent(c, agent, { values: checked.raw, errors: checked.errors }, 422)
    }
    await updateConfiguration(
      db,
      customerId,
      agent.id,
      checked.values,
      fields.map((f) => f.name),
    )
    return c.redirect(agentUrl(agent.id, 'configuration'), 303)
  })
  .post(
    '/agents/:id/domains',
    requireCustomer(),
    zValidator('form', domainsForm, showInvalid(showDomainErrors)),
    async (c) => {
      const { db } = c.var.services.database
      const customerId = signedIn(c).customer.id
      const agent = await customerAgent(db, customerId, c.req.param('id'))
      await setEmbedDomains(db, customerId, agent.id, c.req.valid('form').embed_domains)
      return c.redirect(agentUrl(agent.id, 'domains'), 303)
    },
  )
  .post('/agents/:id/activate', requireCustomer(), async (c) => {
    const { db } = c.var.services.database
    const customerId = signedIn(c).customer.id
    try {
      const agent = await activateAgent(db, customerId, c.req.param('id'))
      return c.redirect(agentUrl(agent.id, 'activated'), 303)
    } catch (error) {
      if (!(error instanceof BillingKeepsAgentOff)) throw error
      return renderAgent(c, await customerAgent(db, customerId, c.req.param('id')), { problem: error.message }, 409)
    }
  })
  .post('/agents/:id/deactivate', requireCustomer(), async (c) => {
    const agent = await deactivateAgent(c.var.services.database.db, signedIn(c).customer.id, c.req.param('id'))
    return c.redirect(agentUrl(agent.id, 'deactivated'), 303)
  })
  .post('/agents/:id/rotate-key', requireCustomer(), async (c) => {
    const { agent, apiKey } = await rotateApiKey(c.var.services.database.db, signedIn(c).customer.id, c.req.param('id'))
    c.header('Cache-Control', 'no-store')
    return renderAgent(c, agent, {
      newApiKey: apiKey,
      notice: 'A new API key was issued; the old key no longer works.',
    })
  })
