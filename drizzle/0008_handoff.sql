ALTER TABLE "conversations" ADD COLUMN "handoff_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_by" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_user_id" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_reason" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD COLUMN "settings" jsonb DEFAULT '{}'::jsonb NOT NULL;