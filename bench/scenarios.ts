// Every benchmark `npm run bench` runs. Add scenarios from bench/scenarios/*.ts here.
import type { CustomBenchmark, HttpScenario } from './types.ts'

export const httpScenarios: HttpScenario[] = []

export const customBenchmarks: CustomBenchmark[] = []
