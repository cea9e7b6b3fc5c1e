// Every benchmark `npm run bench` runs. Add scenarios from bench/scenarios/*.ts here.
import { billingBenchmarks, billingScenarios } from './scenarios/billing.ts'
import { bombBenchmarks } from './scenarios/bombs.ts'
import { hotPathBenchmarks } from './scenarios/hot-path.ts'
import { integrationBenchmarks, integrationScenarios } from './scenarios/integrations.ts'
import { internalApiScenarios } from './scenarios/internal-api.ts'
import { knowledgeBenchmarks } from './scenarios/knowledge.ts'
import { usageIngestDatabaseBenchmarks } from './scenarios/usage-ingest-databases.ts'
import { webScenarios } from './scenarios/web.ts'
import type { CustomBenchmark, HttpScenario } from './types.ts'

export const httpScenarios: HttpScenario[] = [
  ...internalApiScenarios,
  ...billingScenarios,
  ...webScenarios,
  ...integrationScenarios,
]

export const customBenchmarks: CustomBenchmark[] = [
  ...knowledgeBenchmarks,
  ...billingBenchmarks,
  ...integrationBenchmarks,
  ...usageIngestDatabaseBenchmarks,
  ...hotPathBenchmarks,
  ...bombBenchmarks,
]
