// Channel configuration tables: one config per agent, its secrets sealed by the vault in a table of their own.
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { agents, createdAt, organizations, projects, updatedAt } from './schema.ts';

/** One channel block as stored: everything but its secrets. */
export type StoredChannel = {
  enabled: boolean;
  /** Provider name (twilio, meta…); absent until a provider is chosen. */
  provider?: string;
  /** Non-secret settings in the spec's shape (phone_number, credentials.account_sid, theme…). */
  settings: Record<string, unknown>;
};
export type StoredChannels = Partial<Record<string, StoredChannel>>;

/** An agent's channel configuration (the spec's channelconfigs): unique per agent, indexed by tenant. */
export const channelConfigs = pgTable(
  'channel_configs',
  {
    agentId: text('agent_id')
      .primaryKey()
      .references(() => agents.id, { onDelete: 'cascade' }),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    channels: jsonb('channels').$type<StoredChannels>().notNull().default({}),
    /** Whether identities sharing a verified email or phone become one contact (`verified`) or never (`off`). */
    contactLinking: text('contact_linking').$type<'verified' | 'off'>().notNull().default('verified'),
    /** The configuration's global part: per-agent settings not tied to one channel (e.g. `handoff`). */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** Bumped by every change; lets caches and clients tell versions apart. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('channel_configs_org_project_idx').on(t.organizationId, t.projectId),
    check('channel_configs_contact_linking_check', sql`${t.contactLinking} in ('verified', 'off')`),
  ],
);

/**
 * Channel secrets, one row per field (`bot_token`, `credentials.auth_token`…), sealed by the vault with the
 * agent, channel and field as associated data. `key_id` names the sealing key, so rotation finds what is left.
 */
export const channelSecrets = pgTable(
  'channel_secrets',
  {
    agentId: text('agent_id')
      .notNull()
      .references(() => channelConfigs.agentId, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    field: text('field').notNull(),
    keyId: text('key_id').notNull(),
    sealed: text('sealed').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.channel, t.field] }),
    index('channel_secrets_key_idx').on(t.keyId),
  ],
);

/**
 * Verified webhook deliveries that can never be stored (PostgreSQL refuses their data): kept with their raw bytes
 * (base64) for inspection, and answered 2xx so the provider stops redelivering them.
 */
export const rejectedWebhooks = pgTable(
  'rejected_webhooks',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    /** The request body exactly as received, base64. */
    bodyBase64: text('body_base64').notNull(),
    /** The SQLSTATE (or other reason) it was refused with. */
    reason: text('reason').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('rejected_webhooks_agent_idx').on(t.agentId)],
);
