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
ALTER TABLE "messages" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "raw_mails" ADD CONSTRAINT "raw_mails_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "raw_mails_dedupe_unique" ON "raw_mails" USING btree ("agent_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "raw_mails_agent_received_idx" ON "raw_mails" USING btree ("agent_id","received_at");