import { bigint, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { agents } from './schema.ts';

/** Per-agent, per-channel message counters (inbound + outbound), bumped with SQL increments. */
export const channelAnalytics = pgTable(
  'channel_analytics',
  {
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    messageCount: bigint('message_count', { mode: 'number' }).notNull().default(0),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.channel] })],
);
