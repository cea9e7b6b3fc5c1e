// Bundled by esbuild for the benchmarks: the Worker's own knowledge modules (written for a
// bundler, without file extensions) made loadable by plain Node, plus the child-process tasks.
export { chunkText, countTokens } from '../../src/knowledge/chunker'
export { embedTexts, minimumRequests, planBatches, toVectorLiteral } from '../../src/knowledge/embeddings'
export { extractText } from '../../src/knowledge/extract'
export { runTask } from './tasks'
