import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { Role } from '../auth/roles.ts';
import type { LlmSettings } from '../platform/llm-settings.ts';

export const createdAt = () =>
  timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const roleCheck = (column: string) => sql.raw(`${column} in ('owner', 'admin', 'member', 'viewer')`);

/** Key/value facts about this installation (e.g. that first-run bootstrap happened). */
export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Session tokens issued before this instant are refused (set by a password change). */
    sessionsValidAfter: timestamp('sessions_valid_after', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email)],
);

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const memberships = pgTable(
  'memberships',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<Role>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
    check('memberships_role_check', roleCheck('role')),
  ],
);

/**
 * A pending membership: an admin invited an email; the person with that email (once registered) accepts it and
 * only then becomes a member. One open invitation per organization and email; it expires.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** Normalized (lower-case) email of the invitee; may belong to nobody yet. */
    email: text('email').notNull(),
    role: text('role').$type<Role>().notNull(),
    invitedBy: text('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('invitations_org_email_unique').on(t.organizationId, t.email),
    index('invitations_email_idx').on(t.email),
    check('invitations_role_check', roleCheck('role')),
  ],
);

/** Bearer tokens: personal (organization_id null, acts as its user) or organization-scoped with a role. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role').$type<Role>(),
    tokenHash: text('token_hash').notNull(),
    tokenPrefix: text('token_prefix').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** The token that created this one: revoking it revokes this one, and this one expires no later. */
    parentTokenId: text('parent_token_id').references((): AnyPgColumn => apiTokens.id, {
      onDelete: 'cascade',
    }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_unique').on(t.tokenHash),
    index('api_tokens_parent_idx').on(t.parentTokenId),
    index('api_tokens_org_idx').on(t.organizationId),
    index('api_tokens_user_idx').on(t.userId),
    check('api_tokens_role_check', sql`${t.role} is null or ${roleCheck('role')}`),
  ],
);

export const projects = pgTable(
  'projects',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('projects_org_idx').on(t.organizationId)],
);

/** A project's LLM provider keys; the secret itself lives apart in llm_key_secrets. */
export const llmKeys = pgTable(
  'llm_keys',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    /** The only endpoint this key is ever sent to (admin-set at creation); null = the provider's default. */
    baseUrl: text('base_url'),
    createdAt: createdAt(),
  },
  (t) => [index('llm_keys_project_idx').on(t.projectId)],
);

/** The only place an LLM key's secret is stored; read and written solely by src/platform/llm-key-secrets.ts. */
export const llmKeySecrets = pgTable('llm_key_secrets', {
  keyId: text('key_id')
    .primaryKey()
    .references(() => llmKeys.id, { onDelete: 'cascade' }),
  secret: text('secret').notNull(),
});

export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    systemPrompt: text('system_prompt').notNull().default(''),
    status: text('status').$type<'active' | 'inactive'>().notNull().default('active'),
    llmSettings: jsonb('llm_settings').$type<LlmSettings>().notNull(),
    llmKeyId: text('llm_key_id').references(() => llmKeys.id, { onDelete: 'restrict' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('agents_project_idx').on(t.projectId),
    index('agents_org_idx').on(t.organizationId),
    check('agents_status_check', sql`${t.status} in ('active', 'inactive')`),
  ],
);
