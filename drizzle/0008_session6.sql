CREATE TABLE "webhook_nonces" (
	"agent_id" text NOT NULL,
	"scope" text NOT NULL,
	"nonce" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_nonces_agent_id_scope_nonce_pk" PRIMARY KEY("agent_id","scope","nonce")
);
--> statement-breakpoint
CREATE TABLE "event_webhook_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "event_webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"webhook_id" text NOT NULL,
	"event_id" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_webhook_deliveries_status_check" CHECK ("event_webhook_deliveries"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "event_webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"agent_id" text,
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"secret" text NOT NULL,
	"created_by" text,
	"last_status" text,
	"last_status_code" integer,
	"last_error" text,
	"last_attempt_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"failure_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contact_merges" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"kind" text NOT NULL,
	"target_contact_id" text NOT NULL,
	"source_contact_id" text,
	"actor" text NOT NULL,
	"identity_count" integer DEFAULT 0 NOT NULL,
	"details" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contact_merges_kind_check" CHECK ("contact_merges"."kind" in ('merge', 'link', 'split', 'erase'))
);
--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "verified_email" text;--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "verified_phone" text;--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "unlinked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_by" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_user_id" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "handoff_reason" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD COLUMN "contact_linking" text DEFAULT 'verified' NOT NULL;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD COLUMN "settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "raw_mails" ADD COLUMN "provider_verdict" jsonb;--> statement-breakpoint
ALTER TABLE "webhook_nonces" ADD CONSTRAINT "webhook_nonces_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_webhook_deliveries" ADD CONSTRAINT "event_webhook_deliveries_webhook_id_event_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."event_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_webhook_deliveries" ADD CONSTRAINT "event_webhook_deliveries_event_id_agent_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."agent_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_webhooks" ADD CONSTRAINT "event_webhooks_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_webhooks" ADD CONSTRAINT "event_webhooks_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_webhooks" ADD CONSTRAINT "event_webhooks_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_merges" ADD CONSTRAINT "contact_merges_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_nonces_expires_idx" ON "webhook_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "event_webhook_deliveries_due_idx" ON "event_webhook_deliveries" USING btree ("next_attempt_at") WHERE "event_webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "event_webhook_deliveries_webhook_idx" ON "event_webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "event_webhook_deliveries_event_idx" ON "event_webhook_deliveries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "event_webhooks_org_idx" ON "event_webhooks" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "contact_merges_agent_created_idx" ON "contact_merges" USING btree ("agent_id","created_at");--> statement-breakpoint
CREATE INDEX "contact_merges_target_idx" ON "contact_merges" USING btree ("target_contact_id");--> statement-breakpoint
CREATE INDEX "contact_merges_source_idx" ON "contact_merges" USING btree ("source_contact_id");--> statement-breakpoint
CREATE INDEX "contact_identities_verified_email_idx" ON "contact_identities" USING btree ("agent_id","verified_email") WHERE "contact_identities"."verified_email" is not null;--> statement-breakpoint
CREATE INDEX "contact_identities_verified_phone_idx" ON "contact_identities" USING btree ("agent_id","verified_phone") WHERE "contact_identities"."verified_phone" is not null;--> statement-breakpoint
CREATE INDEX "raw_mails_processed_at_idx" ON "raw_mails" USING btree ("processed_at") WHERE "raw_mails"."status" <> 'pending';--> statement-breakpoint
ALTER TABLE "channel_configs" ADD CONSTRAINT "channel_configs_contact_linking_check" CHECK ("channel_configs"."contact_linking" in ('verified', 'off'));