import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { AttachmentMeta, ReplyButton } from '../channels/types.ts';
import { agents, createdAt, updatedAt } from './schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One person talking to one agent, whatever channels they use. */
export const contacts = pgTable(
  'contacts',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    displayName: text('display_name'),
    /** Verified attributes only (a provider or an HMAC vouched for them); used for cross-channel linking. */
    email: text('email'),
    emailVerifiedAt: at('email_verified_at'),
    /** E.164. */
    phone: text('phone'),
    phoneVerifiedAt: at('phone_verified_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('contacts_agent_idx').on(t.agentId),
    index('contacts_agent_email_idx').on(t.agentId, t.email),
    index('contacts_agent_phone_idx').on(t.agentId, t.phone),
  ],
);

/** A contact's account on one channel; unique per agent, channel and platform user id. */
export const contactIdentities = pgTable(
  'contact_identities',
  {
    id: text('id').primaryKey(),
    contactId: text('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    channel: text('channel').notNull(),
    platformUserId: text('platform_user_id').notNull(),
    chatId: text('chat_id').notNull(),
    username: text('username'),
    /** The person blocked the bot on this channel: no sends until unblocked. */
    blockedAt: at('blocked_at'),
    /** When this person last wrote on this channel: opens WhatsApp's 24-hour customer service window. */
    lastInboundAt: at('last_inbound_at'),
    /** Verified attributes this identity proved (lowercased email, E.164 phone): the keys of contact linking. */
    verifiedEmail: text('verified_email'),
    verifiedPhone: text('verified_phone'),
    /** Split out of a contact by an operator: never linked automatically again. */
    unlinkedAt: at('unlinked_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('contact_identities_platform_unique').on(t.agentId, t.channel, t.platformUserId),
    index('contact_identities_contact_idx').on(t.contactId),
    index('contact_identities_verified_email_idx')
      .on(t.agentId, t.verifiedEmail)
      .where(sql`${t.verifiedEmail} is not null`),
    index('contact_identities_verified_phone_idx')
      .on(t.agentId, t.verifiedPhone)
      .where(sql`${t.verifiedPhone} is not null`),
  ],
);

export type ChannelHistoryEntry = { channel: string; timestamp: string; message_count: number };

/** A conversation; `channel` null reads as 'website' (the spec's migration rule). */
export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    contactId: text('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    userIdentifier: text('user_identifier').notNull(),
    channel: text('channel'),
    channelMetadata: jsonb('channel_metadata').$type<Record<string, unknown>>().notNull().default({}),
    channelHistory: jsonb('channel_history').$type<ChannelHistoryEntry[]>().notNull().default([]),
    status: text('status').$type<'active' | 'closed'>().notNull().default('active'),
    lastActivityAt: at('last_activity_at').notNull().defaultNow(),
    closedAt: at('closed_at'),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    /** Lease of the process answering in-request (chat API, widget): one LLM call at a time across processes. */
    answeringBy: text('answering_by'),
    answeringUntil: at('answering_until'),
    /** Human handoff: set while a human owns the conversation (the agent never answers), null otherwise. */
    handoffAt: at('handoff_at'),
    /** Who started the handoff: 'operator', 'agent' (the handoff_to_human tool) or 'keyword'. */
    handoffBy: text('handoff_by'),
    /** The operator who started it (user id), when an operator did. */
    handoffUserId: text('handoff_user_id'),
    handoffReason: text('handoff_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The spec's recommended indexes.
    index('conversations_agent_channel_status_idx').on(t.agentId, t.channel, t.status),
    index('conversations_channel_last_activity_idx').on(t.channel, t.lastActivityAt),
    index('conversations_platform_user_idx').on(sql`(${t.channelMetadata} ->> 'platform_user_id')`),
    // At most one active conversation per contact: concurrent first messages cannot open two.
    uniqueIndex('conversations_one_active_per_contact')
      .on(t.contactId)
      .where(sql`${t.status} = 'active'`),
    index('conversations_agent_updated_idx').on(t.agentId, t.updatedAt),
    // A contact's conversations, newest activity first (contact detail, held replies released, erase, merge).
    index('conversations_contact_activity_idx').on(t.contactId, t.lastActivityAt, t.id),
    index('conversations_agent_user_idx').on(t.agentId, t.userIdentifier),
    // The idle sweep (every process, every minute) reads only active conversations, oldest activity first. The
    // `is not null` (always true) is not implied by a look-up of a contact's active conversation, so such a
    // look-up can only use the unique index above: a plan made on an empty table otherwise picked this one (an
    // equal cost there) and then read every active conversation for each message.
    index('conversations_active_last_activity_idx')
      .on(t.lastActivityAt)
      .where(sql`${t.status} = 'active' and ${t.lastActivityAt} is not null`),
    check('conversations_status_check', sql`${t.status} in ('active', 'closed')`),
  ],
);

export type MessageRole = 'user' | 'assistant' | 'system' | 'human';
/** `held`: a reply waiting for WhatsApp's 24-hour window to reopen; `played`: a voice message was played. */
export type DeliveryStatus =
  'received' | 'queued' | 'held' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

/** A template message as stored: parameters already filled in. */
export type StoredTemplate = { name: string; language: string; parameters: string[] };

/** Messages live in their own table, ordered by `seq`. */
export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    role: text('role').$type<MessageRole>().notNull(),
    content: text('content').notNull(),
    channel: text('channel').notNull(),
    direction: text('direction').$type<'inbound' | 'outbound'>().notNull(),
    providerMessageId: text('provider_message_id'),
    status: text('status').$type<DeliveryStatus>().notNull(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    attachments: jsonb('attachments').$type<AttachmentMeta[]>().notNull().default([]),
    buttons: jsonb('buttons').$type<ReplyButton[]>(),
    /** Outbound template message (WhatsApp): sent with the adapter's sendTemplate instead of send. */
    template: jsonb('template').$type<StoredTemplate>(),
    /** Channel facts about this one message (email: Message-ID, subject, full text, authentication verdict). */
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    /** Reply address: where an outbound goes, or where an inbound came from. */
    recipient: jsonb('recipient').$type<{ platformUserId: string; chatId: string }>(),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    /** Role `human`: the operator (user id) who wrote it through the API. */
    userId: text('user_id'),
    /** Inbound only: set when a turn has answered it. */
    answeredAt: at('answered_at'),
    /** Outbound only: the inbound message whose turn produced it, and its part number. */
    replyTo: text('reply_to'),
    part: integer('part'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at'),
    editedAt: at('edited_at'),
    sentAt: at('sent_at'),
    deliveredAt: at('delivered_at'),
    readAt: at('read_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('messages_conversation_seq_idx').on(t.conversationId, t.seq),
    // Agent analytics read an agent's messages in a time range (EXPLAIN: a sequential scan of every agent's
    // messages without it).
    index('messages_agent_created_idx').on(t.agentId, t.createdAt),
    // A provider message id is unique per channel account (agent + channel).
    uniqueIndex('messages_provider_id_unique')
      .on(t.agentId, t.channel, t.providerMessageId)
      .where(sql`${t.providerMessageId} is not null`),
    // A turn's reply parts are written once, however often the turn is retried.
    uniqueIndex('messages_reply_part_unique')
      .on(t.replyTo, t.part)
      .where(sql`${t.replyTo} is not null`),
    index('messages_pending_inbound_idx')
      .on(t.conversationId, t.seq)
      .where(sql`${t.direction} = 'inbound' and ${t.answeredAt} is null`),
    // Replies held for WhatsApp's 24-hour window, released when the contact writes again.
    index('messages_held_idx')
      .on(t.agentId, t.channel)
      .where(sql`${t.status} = 'held'`),
    index('messages_pending_outbound_idx')
      .on(t.conversationId, t.seq)
      .where(sql`${t.direction} = 'outbound' and ${t.status} = 'queued'`),
    check('messages_role_check', sql`${t.role} in ('user', 'assistant', 'system', 'human')`),
    check('messages_direction_check', sql`${t.direction} in ('inbound', 'outbound')`),
    check(
      'messages_status_check',
      sql`${t.status} in ('received', 'queued', 'held', 'sent', 'delivered', 'read', 'played', 'failed')`,
    ),
  ],
);

/** Every inbound webhook event, recorded before the 2xx; unique per channel account and provider event id. */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    providerEventId: text('provider_event_id').notNull(),
    /** Events of one stream (one sender, or status updates) are processed in order, one job at a time. */
    stream: text('stream').notNull(),
    payload: jsonb('payload').notNull(),
    processed: boolean('processed').notNull().default(false),
    /** Status updates whose message is not recorded as sent yet: tries so far and when to look again. */
    attempts: integer('attempts').notNull().default(0),
    retryAt: at('retry_at'),
    receivedAt: at('received_at').notNull().defaultNow(),
    processedAt: at('processed_at'),
  },
  (t) => [
    uniqueIndex('inbound_events_provider_unique').on(t.agentId, t.channel, t.providerEventId),
    index('inbound_events_pending_idx')
      .on(t.agentId, t.channel, t.stream, t.seq)
      .where(sql`not ${t.processed}`),
    // Retention deletes processed events oldest first.
    index('inbound_events_processed_at_idx')
      .on(t.processedAt)
      .where(sql`${t.processed}`),
  ],
);

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

/**
 * Counts not yet folded into `channel_analytics`: each transaction that stores messages appends a row here
 * (no lock on a shared row, so concurrent transactions of one account never wait for each other's commit);
 * housekeeping folds them into the totals, and reads add them up.
 */
export const channelAnalyticsDeltas = pgTable(
  'channel_analytics_deltas',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    messageCount: integer('message_count').notNull(),
    lastMessageAt: at('last_message_at').notNull(),
  },
  (t) => [index('channel_analytics_deltas_agent_idx').on(t.agentId, t.channel)],
);

/**
 * What the built-in sandbox provider "sent" for one outbound message (src/channels/sandbox): the provider request or
 * the MIME mail exactly as the real provider of the channel would get it, for the console's playground to show.
 * Keyed by the message, so a retried send is stored once; erased with the message.
 */
export const sandboxDeliveries = pgTable('sandbox_deliveries', {
  messageId: text('message_id')
    .primaryKey()
    .references(() => messages.id, { onDelete: 'cascade' }),
  agentId: text('agent_id').notNull(),
  channel: text('channel').notNull(),
  providerMessageId: text('provider_message_id').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
});
