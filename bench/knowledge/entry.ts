// Bundled by esbuild for the benchmarks: the Worker's own knowledge modules (written for a
// bundler, without file extensions) made loadable by plain Node, plus the child-process tasks.

// The dialect from the same bundle as the statements, to turn them into SQL text for postgres.js.
export { PgDialect } from 'drizzle-orm/pg-core'
export { chunkText, countTokens } from '../../src/knowledge/chunker'
export { embedTexts, minimumRequests, planBatches, toVectorLiteral } from '../../src/knowledge/embeddings'
export { extractText } from '../../src/knowledge/extract'
export { collapseResults, searchStatement } from '../../src/knowledge/search'
export { searchTexts } from '../../src/knowledge/search-query'
export { runTask } from './tasks'
