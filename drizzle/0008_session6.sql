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
	CONSTRAINT "contact_merges_kind_check" CHECK ("contact_merges"."kind" in ('merge', 'link', 'split'))
);
--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "verified_email" text;--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "verified_phone" text;--> statement-breakpoint
ALTER TABLE "contact_identities" ADD COLUMN "unlinked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD COLUMN "contact_linking" text DEFAULT 'verified' NOT NULL;--> statement-breakpoint
ALTER TABLE "contact_merges" ADD CONSTRAINT "contact_merges_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contact_merges_agent_created_idx" ON "contact_merges" USING btree ("agent_id","created_at");--> statement-breakpoint
CREATE INDEX "contact_merges_target_idx" ON "contact_merges" USING btree ("target_contact_id");--> statement-breakpoint
CREATE INDEX "contact_merges_source_idx" ON "contact_merges" USING btree ("source_contact_id");--> statement-breakpoint
CREATE INDEX "contact_identities_verified_email_idx" ON "contact_identities" USING btree ("agent_id","verified_email") WHERE "contact_identities"."verified_email" is not null;--> statement-breakpoint
CREATE INDEX "contact_identities_verified_phone_idx" ON "contact_identities" USING btree ("agent_id","verified_phone") WHERE "contact_identities"."verified_phone" is not null;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD CONSTRAINT "channel_configs_contact_linking_check" CHECK ("channel_configs"."contact_linking" in ('verified', 'off'));