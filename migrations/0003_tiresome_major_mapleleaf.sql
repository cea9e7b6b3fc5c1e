ALTER TABLE "knowledge_documents" ADD COLUMN "processing_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "unfinished_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "knowledge_documents_processing_idx" ON "knowledge_documents" USING btree ("processing_started_at") WHERE status = 'processing';