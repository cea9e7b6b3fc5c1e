ALTER TABLE "knowledge_documents" ADD COLUMN "failed_on_limits" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Documents already failed as cut off (CUT_OFF_MESSAGE in src/knowledge/process-document.ts) stay failed too.
UPDATE "knowledge_documents" SET "failed_on_limits" = true WHERE "status" = 'error' AND "error_message" LIKE 'Processing stopped before it finished %';
