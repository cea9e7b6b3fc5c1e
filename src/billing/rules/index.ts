export { type CanRespond, checkCanRespond, decideCanRespond } from './can-respond'
export { enterGracePeriod, enterGracePeriods } from './grace-period'
export {
  assertWithinPlanLimit,
  type CountedResource,
  normalizeLimits,
  planLimitsFor,
  USAGE_METRICS,
} from './plan-limits'
export { type BillingSettings, getBillingSettings } from './settings'
export { startTrial } from './trial'
export { ingestUsageBatch, type UsageBatchResult } from './usage-ingest'
export { MAX_REPORTS_PER_BATCH, type UsageReportError, usageReportSchema } from './usage-report'
