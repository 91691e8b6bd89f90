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
ALTER TABLE "imap_mailboxes" ADD CONSTRAINT "imap_mailboxes_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;