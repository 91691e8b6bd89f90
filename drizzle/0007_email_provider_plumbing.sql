CREATE TABLE "webhook_nonces" (
	"agent_id" text NOT NULL,
	"scope" text NOT NULL,
	"nonce" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_nonces_agent_id_scope_nonce_pk" PRIMARY KEY("agent_id","scope","nonce")
);
--> statement-breakpoint
ALTER TABLE "raw_mails" ADD COLUMN "provider_verdict" jsonb;--> statement-breakpoint
ALTER TABLE "webhook_nonces" ADD CONSTRAINT "webhook_nonces_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_nonces_expires_idx" ON "webhook_nonces" USING btree ("expires_at");