CREATE TABLE "invitations" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"invited_by" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invitations_role_check" CHECK (role in ('owner', 'admin', 'member', 'viewer'))
);
--> statement-breakpoint
CREATE TABLE "rejected_webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"channel" text NOT NULL,
	"body_base64" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "raw_mails" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"source" text NOT NULL,
	"client_ip" text,
	"size" integer NOT NULL,
	"raw" "bytea" NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"verdict" jsonb,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "raw_mails_status_check" CHECK ("raw_mails"."status" in ('pending', 'accepted', 'ignored', 'rejected', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "imap_mailboxes" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"mailbox_key" text NOT NULL,
	"uid_validity" bigint,
	"last_uid" bigint DEFAULT 0 NOT NULL,
	"holder" text,
	"lease_expires_at" timestamp with time zone,
	"state" text DEFAULT 'stopped' NOT NULL,
	"error" text,
	"last_poll_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" DROP CONSTRAINT "messages_status_check";--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "parent_token_id" text;--> statement-breakpoint
ALTER TABLE "llm_keys" ADD COLUMN "base_url" text;--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "last_inbound_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "answering_by" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "answering_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inbound_events" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "inbound_events" ADD COLUMN "retry_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "template" jsonb;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_users_id_fk" FOREIGN KEY ("invited_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rejected_webhooks" ADD CONSTRAINT "rejected_webhooks_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "raw_mails" ADD CONSTRAINT "raw_mails_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imap_mailboxes" ADD CONSTRAINT "imap_mailboxes_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_org_email_unique" ON "invitations" USING btree ("organization_id","email");--> statement-breakpoint
CREATE INDEX "invitations_email_idx" ON "invitations" USING btree ("email");--> statement-breakpoint
CREATE INDEX "rejected_webhooks_agent_idx" ON "rejected_webhooks" USING btree ("agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "raw_mails_dedupe_unique" ON "raw_mails" USING btree ("agent_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "raw_mails_agent_received_idx" ON "raw_mails" USING btree ("agent_id","received_at");--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_parent_token_id_api_tokens_id_fk" FOREIGN KEY ("parent_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_tokens_parent_idx" ON "api_tokens" USING btree ("parent_token_id");--> statement-breakpoint
CREATE INDEX "inbound_events_processed_at_idx" ON "inbound_events" USING btree ("processed_at") WHERE "inbound_events"."processed";--> statement-breakpoint
CREATE INDEX "messages_held_idx" ON "messages" USING btree ("agent_id","channel") WHERE "messages"."status" = 'held';--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_status_check" CHECK ("messages"."status" in ('received', 'queued', 'held', 'sent', 'delivered', 'read', 'played', 'failed'));