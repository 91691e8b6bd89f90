CREATE TABLE "channel_analytics" (
	"agent_id" text NOT NULL,
	"channel" text NOT NULL,
	"message_count" bigint DEFAULT 0 NOT NULL,
	"last_message_at" timestamp with time zone,
	CONSTRAINT "channel_analytics_agent_id_channel_pk" PRIMARY KEY("agent_id","channel")
);
--> statement-breakpoint
ALTER TABLE "channel_analytics" ADD CONSTRAINT "channel_analytics_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;