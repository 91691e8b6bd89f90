// Live conversation events: an append-only log per agent. SSE subscribers read it from a Last-Event-ID, event
// webhooks deliver from it; a NOTIFY in the writing transaction wakes every process.
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { agents, createdAt, organizations, updatedAt, users } from './schema.ts';

export const agentEvents = pgTable(
  'agent_events',
  {
    /** Monotonic per database: the SSE event id. */
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    conversationId: text('conversation_id'),
    messageId: text('message_id'),
    contactId: text('contact_id'),
    /** Small facts about the event (status, channel, reason…); never message content or credentials. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('agent_events_agent_id_idx').on(t.agentId, t.id),
    index('agent_events_created_idx').on(t.createdAt),
  ],
);

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Agents whose events someone follows live (an SSE stream in some process), until `until`: a process renews the
 * lease of each agent it has subscribers for. Events of other agents skip the NOTIFY (nobody would read it; each
 * one woke every listening connection of every process).
 */
export const eventWatchers = pgTable('event_watchers', {
  agentId: text('agent_id')
    .primaryKey()
    .references(() => agents.id, { onDelete: 'cascade' }),
  until: at('until').notNull(),
});

/** An organization's subscription of one URL to event types (optionally of one agent). */
export const eventWebhooks = pgTable(
  'event_webhooks',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** Only this agent's events; null = every agent of the organization. */
    agentId: text('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    eventTypes: text('event_types').array().notNull(),
    description: text('description').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    /** The signing secret, sealed by the credential vault; shown once when created. */
    secret: text('secret').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    lastStatus: text('last_status'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastAttemptAt: at('last_attempt_at'),
    lastSuccessAt: at('last_success_at'),
    /** Failed attempts since the last success. */
    failureCount: integer('failure_count').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('event_webhooks_org_idx').on(t.organizationId)],
);

/** One event to POST to one subscription: created in the transaction that appends the event. */
export const eventWebhookDeliveries = pgTable(
  'event_webhook_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => eventWebhooks.id, { onDelete: 'cascade' }),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => agentEvents.id, { onDelete: 'cascade' }),
    status: text('status').$type<'pending' | 'delivered' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull().defaultNow(),
    /** A process sending it holds it until then (a crashed sender's lease lapses). */
    lockedUntil: at('locked_until'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: at('delivered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('event_webhook_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('event_webhook_deliveries_webhook_idx').on(t.webhookId, t.id),
    index('event_webhook_deliveries_event_idx').on(t.eventId),
    check('event_webhook_deliveries_status_check', sql`${t.status} in ('pending', 'delivered', 'failed')`),
  ],
);
