// Live conversation events: an append-only log per agent. SSE subscribers read it from a Last-Event-ID, event
// webhooks deliver from it; a NOTIFY in the writing transaction wakes every process.
import { bigint, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { agents, createdAt } from './schema.ts';

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
