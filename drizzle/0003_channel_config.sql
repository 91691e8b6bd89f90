CREATE TABLE "channel_configs" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"project_id" text NOT NULL,
	"channels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channel_secrets" (
	"agent_id" text NOT NULL,
	"channel" text NOT NULL,
	"field" text NOT NULL,
	"key_id" text NOT NULL,
	"sealed" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_secrets_agent_id_channel_field_pk" PRIMARY KEY("agent_id","channel","field")
);
--> statement-breakpoint
ALTER TABLE "channel_configs" ADD CONSTRAINT "channel_configs_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD CONSTRAINT "channel_configs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_configs" ADD CONSTRAINT "channel_configs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_secrets" ADD CONSTRAINT "channel_secrets_agent_id_channel_configs_agent_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."channel_configs"("agent_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_configs_org_project_idx" ON "channel_configs" USING btree ("organization_id","project_id");--> statement-breakpoint
CREATE INDEX "channel_secrets_key_idx" ON "channel_secrets" USING btree ("key_id");--> statement-breakpoint
-- Every change to an agent's channel configuration (any process, any tool, cascades included) announces itself on
-- switchboard_channel_config in the same transaction, so in-process caches everywhere drop that agent on commit.
CREATE FUNCTION "notify_channel_config"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('switchboard_channel_config', OLD.agent_id);
	ELSE
		PERFORM pg_notify('switchboard_channel_config', NEW.agent_id);
	END IF;
	RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE FUNCTION "notify_agent_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('switchboard_channel_config', OLD.id);
	RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "channel_configs_notify" AFTER INSERT OR UPDATE OR DELETE ON "channel_configs" FOR EACH ROW EXECUTE FUNCTION "notify_channel_config"();--> statement-breakpoint
CREATE TRIGGER "channel_secrets_notify" AFTER INSERT OR UPDATE OR DELETE ON "channel_secrets" FOR EACH ROW EXECUTE FUNCTION "notify_channel_config"();--> statement-breakpoint
CREATE TRIGGER "agents_channel_notify" AFTER DELETE ON "agents" FOR EACH ROW EXECUTE FUNCTION "notify_agent_deleted"();
