import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
  vector,
} from 'drizzle-orm/pg-core'
import { id, oneOf, timestamps, timestamptz } from './columns'
import { customers } from './customers'

export const EMBEDDING_DIMENSIONS = 1536

/**
 * Text search configurations a knowledge base may use: those that ship with PostgreSQL 15 and
 * later (Neon, PGlite). `english` stems and drops stop words; `simple` only lowercases.
 */
export const SEARCH_LANGUAGES = [
  'english',
  'simple',
  'danish',
  'dutch',
  'finnish',
  'french',
  'german',
  'hungarian',
  'italian',
  'norwegian',
  'portuguese',
  'romanian',
  'russian',
  'spanish',
  'swedish',
  'turkish',
] as const
export type SearchLanguage = (typeof SEARCH_LANGUAGES)[number]
export const DEFAULT_SEARCH_LANGUAGE: SearchLanguage = 'english'

/** PostgreSQL's `regconfig`: a text search configuration, read and written by name. */
const regconfig = customType<{ data: SearchLanguage; driverData: string }>({ dataType: () => 'regconfig' })
const tsvector = customType<{ data: string; driverData: string }>({ dataType: () => 'tsvector' })

export const knowledgeBases = pgTable(
  'knowledge_bases',
  {
    id: id(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    searchLanguage: regconfig('search_language').notNull().default(DEFAULT_SEARCH_LANGUAGE),
    ...timestamps(),
  },
  (t) => [
    index('knowledge_bases_customer_idx').on(t.customerId),
    check('knowledge_bases_search_language_check', oneOf('search_language::text', SEARCH_LANGUAGES)),
  ],
)

export const DOCUMENT_SOURCE_TYPES = ['upload', 'text', 'url'] as const
export const DOCUMENT_STATUSES = ['pending', 'processing', 'indexed', 'error'] as const

export const knowledgeDocuments = pgTable(
  'knowledge_documents',
  {
    id: id(),
    knowledgeBaseId: uuid('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    sourceType: text('source_type', { enum: DOCUMENT_SOURCE_TYPES }).notNull().default('upload'),
    status: text('status', { enum: DOCUMENT_STATUSES }).notNull().default('pending'),
    /** R2 object key, derived from customer, knowledge base and document ids. */
    filePath: text('file_path'),
    fileName: text('file_name'),
    contentType: text('content_type'),
    fileSize: bigint('file_size', { mode: 'number' }).notNull().default(0),
    chunkCount: integer('chunk_count').notNull().default(0),
    errorMessage: text('error_message'),
    processedAt: timestamptz('processed_at'),
    /** When the current or last run took the document; a `processing` row far past it lost its consumer. */
    processingStartedAt: timestamptz('processing_started_at'),
    /** Runs that took the document and never recorded an outcome (killed for CPU or memory, crashed). */
    unfinishedAttempts: integer('unfinished_attempts').notNull().default(0),
    /**
     * The last run broke an extraction budget or was cut off MAX_PROCESSING_ATTEMPTS times: a hostile
     * or absurd file. Its customer cannot re-index it; only an operator (`ops documents retry`) clears this.
     */
    failedOnLimits: boolean('failed_on_limits').notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    index('knowledge_documents_kb_status_idx').on(t.knowledgeBaseId, t.status),
    index('knowledge_documents_processing_idx').on(t.processingStartedAt).where(sql`status = 'processing'`),
    index('knowledge_documents_customer_idx').on(t.customerId),
    check('knowledge_documents_status_check', oneOf('status', DOCUMENT_STATUSES)),
    check('knowledge_documents_source_type_check', oneOf('source_type', DOCUMENT_SOURCE_TYPES)),
    check('knowledge_documents_file_size_check', sql`file_size >= 0`),
  ],
)

export const documentChunks = pgTable(
  'document_chunks',
  {
    id: id(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    /** Denormalised from the document so a search filters by knowledge base without a join. */
    knowledgeBaseId: uuid('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id, { onDelete: 'cascade' }),
    content: text('content').notNull(),
    chunkIndex: integer('chunk_index').notNull(),
    tokenCount: integer('token_count').notNull(),
    embedding: vector('embedding', { dimensions: EMBEDDING_DIMENSIONS }),
    /** The knowledge base's `search_language` when the chunk was written (kept in step by updateKnowledgeBase). */
    searchLanguage: regconfig('search_language').notNull().default(DEFAULT_SEARCH_LANGUAGE),
    searchVector: tsvector('search_vector').notNull().generatedAlwaysAs(sql`to_tsvector(search_language, content)`),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('document_chunks_document_chunk_unique').on(t.documentId, t.chunkIndex),
    index('document_chunks_knowledge_base_idx').on(t.knowledgeBaseId),
    index('document_chunks_embedding_hnsw').using('hnsw', t.embedding.op('vector_cosine_ops')),
    index('document_chunks_search_vector_gin').using('gin', t.searchVector),
    check('document_chunks_token_count_check', sql`token_count >= 0`),
  ],
)

/** Tokens a customer's documents had embedded in a billing period (its subscription's period start). */
export const knowledgeEmbeddingUsage = pgTable(
  'knowledge_embedding_usage',
  {
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    periodStart: timestamptz('period_start').notNull(),
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.periodStart] }),
    check('knowledge_embedding_usage_tokens_check', sql`tokens >= 0`),
  ],
)
