ALTER TABLE "conversations" ADD COLUMN "answering_by" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "answering_until" timestamp with time zone;