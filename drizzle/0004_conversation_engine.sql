CREATE TABLE "contact_identities" (
	"id" text PRIMARY KEY NOT NULL,
	"contact_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"channel" text NOT NULL,
	"platform_user_id" text NOT NULL,
	"chat_id" text NOT NULL,
	"username" text,
	"blocked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"display_name" text,
	"email" text,
	"email_verified_at" timestamp with time zone,
	"phone" text,
	"phone_verified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"contact_id" text,
	"user_identifier" text NOT NULL,
	"channel" text,
	"channel_metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"channel_history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_status_check" CHECK ("conversations"."status" in ('active', 'closed'))
);
--> statement-breakpoint
CREATE TABLE "inbound_events" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "inbound_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"agent_id" text NOT NULL,
	"channel" text NOT NULL,
	"provider_event_id" text NOT NULL,
	"stream" text NOT NULL,
	"payload" jsonb NOT NULL,
	"processed" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "messages_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"conversation_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"channel" text NOT NULL,
	"direction" text NOT NULL,
	"provider_message_id" text,
	"status" text NOT NULL,
	"error_code" text,
	"error_message" text,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"buttons" jsonb,
	"recipient" jsonb,
	"input_tokens" integer,
	"output_tokens" integer,
	"answered_at" timestamp with time zone,
	"reply_to" text,
	"part" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"edited_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messages_role_check" CHECK ("messages"."role" in ('user', 'assistant', 'system', 'human')),
	CONSTRAINT "messages_direction_check" CHECK ("messages"."direction" in ('inbound', 'outbound')),
	CONSTRAINT "messages_status_check" CHECK ("messages"."status" in ('received', 'queued', 'sent', 'delivered', 'read', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "contact_identities" ADD CONSTRAINT "contact_identities_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_events" ADD CONSTRAINT "inbound_events_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "contact_identities_platform_unique" ON "contact_identities" USING btree ("agent_id","channel","platform_user_id");--> statement-breakpoint
CREATE INDEX "contact_identities_contact_idx" ON "contact_identities" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "contacts_agent_idx" ON "contacts" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "contacts_agent_email_idx" ON "contacts" USING btree ("agent_id","email");--> statement-breakpoint
CREATE INDEX "contacts_agent_phone_idx" ON "contacts" USING btree ("agent_id","phone");--> statement-breakpoint
CREATE INDEX "conversations_agent_channel_status_idx" ON "conversations" USING btree ("agent_id","channel","status");--> statement-breakpoint
CREATE INDEX "conversations_channel_last_activity_idx" ON "conversations" USING btree ("channel","last_activity_at");--> statement-breakpoint
CREATE INDEX "conversations_platform_user_idx" ON "conversations" USING btree (("channel_metadata" ->> 'platform_user_id'));--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_one_active_per_contact" ON "conversations" USING btree ("contact_id") WHERE "conversations"."status" = 'active';--> statement-breakpoint
CREATE INDEX "conversations_agent_updated_idx" ON "conversations" USING btree ("agent_id","updated_at");--> statement-breakpoint
CREATE INDEX "conversations_agent_user_idx" ON "conversations" USING btree ("agent_id","user_identifier");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_events_provider_unique" ON "inbound_events" USING btree ("agent_id","channel","provider_event_id");--> statement-breakpoint
CREATE INDEX "inbound_events_pending_idx" ON "inbound_events" USING btree ("agent_id","channel","stream","seq") WHERE not "inbound_events"."processed";--> statement-breakpoint
CREATE INDEX "messages_conversation_seq_idx" ON "messages" USING btree ("conversation_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_provider_id_unique" ON "messages" USING btree ("agent_id","channel","provider_message_id") WHERE "messages"."provider_message_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_reply_part_unique" ON "messages" USING btree ("reply_to","part") WHERE "messages"."reply_to" is not null;--> statement-breakpoint
CREATE INDEX "messages_pending_inbound_idx" ON "messages" USING btree ("conversation_id","seq") WHERE "messages"."direction" = 'inbound' and "messages"."answered_at" is null;--> statement-breakpoint
CREATE INDEX "messages_pending_outbound_idx" ON "messages" USING btree ("conversation_id","seq") WHERE "messages"."direction" = 'outbound' and "messages"."status" = 'queued';