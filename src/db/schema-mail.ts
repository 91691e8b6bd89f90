// Raw inbound mail, kept durably so processing (authentication needs DNS) runs after the ack, and so
// attachments can be extracted from the original bytes later.
import { sql } from 'drizzle-orm';
import {
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { agents } from './schema.ts';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export type RawMailStatus = 'pending' | 'accepted' | 'ignored' | 'rejected' | 'failed';

/** One received message (RFC 5322 bytes), unique per agent and dedupe key (Message-ID, else content hash). */
export const rawMails = pgTable(
  'raw_mails',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    /** `mid:<message-id>` or `sha256:<hex>`: a redelivery of the same mail is recorded once. */
    dedupeKey: text('dedupe_key').notNull(),
    /** How it arrived: webhook, imap… */
    source: text('source').notNull(),
    clientIp: text('client_ip'),
    size: integer('size').notNull(),
    raw: bytea('raw').notNull(),
    /** pending until the worker has parsed and authenticated it. */
    status: text('status').$type<RawMailStatus>().notNull().default('pending'),
    /** Why it was ignored, rejected or failed (auto_reply, list, bounce, dmarc_fail…). */
    reason: text('reason'),
    /** Sender authentication verdict (dkim/spf/dmarc/arc: pass, fail, none…). */
    verdict: jsonb('verdict').$type<Record<string, unknown>>(),
    /**
     * The receiving provider's own verdict (SendGrid, Mailgun, SES) plus `composed` (the raw was rebuilt from
     * parsed fields, so DKIM cannot be re-verified): used when the mail itself cannot be re-checked.
     */
    providerVerdict: jsonb('provider_verdict').$type<Record<string, unknown>>(),
    receivedAt: at('received_at').notNull().defaultNow(),
    processedAt: at('processed_at'),
  },
  (t) => [
    uniqueIndex('raw_mails_dedupe_unique').on(t.agentId, t.dedupeKey),
    index('raw_mails_agent_received_idx').on(t.agentId, t.receivedAt),
    // Retention deletes processed mail oldest first.
    index('raw_mails_processed_at_idx')
      .on(t.processedAt)
      .where(sql`${t.status} <> 'pending'`),
    check(
      'raw_mails_status_check',
      sql`${t.status} in ('pending', 'accepted', 'ignored', 'rejected', 'failed')`,
    ),
  ],
);
