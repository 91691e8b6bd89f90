// IMAP polling state: one row per agent whose email channel has an imap_config.
import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { agents, updatedAt } from './schema.ts';

/**
 * The durable cursor (UIDVALIDITY + last UID done) of an agent's IMAP mailbox, the lease that lets one process at a
 * time hold it, and the connection state last reported by the holder (read by `test` and `webhook/info`).
 * `mailbox_key` names the mailbox the cursor belongs to (host, port, user, mailbox): a different key resets it.
 */
export const imapMailboxes = pgTable('imap_mailboxes', {
  agentId: text('agent_id')
    .primaryKey()
    .references(() => agents.id, { onDelete: 'cascade' }),
  mailboxKey: text('mailbox_key').notNull(),
  uidValidity: bigint('uid_validity', { mode: 'number' }),
  lastUid: bigint('last_uid', { mode: 'number' }).notNull().default(0),
  /** The poller instance holding the mailbox, until lease_expires_at unless it renews. */
  holder: text('holder'),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, mode: 'date' }),
  /** connecting | connected | error | stopped */
  state: text('state').notNull().default('stopped'),
  /** A safe description of the last connection problem (never a credential). */
  error: text('error'),
  lastPollAt: timestamp('last_poll_at', { withTimezone: true, mode: 'date' }),
  updatedAt: updatedAt(),
});
