import type {
  InboundContactEvent,
  InboundEvent,
  InboundMessageEvent,
  InboundStatusEvent,
} from '../channels/types.ts';
import type { SqlRunner } from '../db/client.ts';
import { newId } from '../ids.ts';
import { countChannelMessages } from '../conversations/analytics.ts';
import type { ChannelHistoryEntry } from '../db/schema-conversations.ts';
import {
  extendHistory,
  openConversation,
  resolveIdentity,
  threadConversation,
} from './conversation-store.ts';

/** Events of one stream handled per transaction. */
export const INBOUND_BATCH = 50;
/** A status for a message we have not recorded as sent yet is kept this long, then dropped. */
export const ORPHAN_STATUS_TTL_MS = 10 * 60_000;

export type InboundSettings = { inactivityMs: number; now: () => Date };

/** What processing asks for next: turns to schedule, and whether unmatched status updates wait. */
export type InboundOutcome = { turns: { conversationId: string; channel: string }[]; deferred: boolean };

type EventRow = { id: string; payload: InboundEvent; received_at: Date };

/**
 * Processes up to INBOUND_BATCH pending events of one stream, in arrival order, in the caller's
 * transaction, and marks them processed there: each event takes effect exactly once.
 */
export async function processInboundBatch(
  query: SqlRunner,
  stream: { agentId: string; channel: string; stream: string },
  settings: InboundSettings,
): Promise<InboundOutcome & { count: number }> {
  const events = await query<EventRow>(
    `select id, payload, received_at from inbound_events
     where agent_id = $1 and channel = $2 and stream = $3 and not processed
     order by seq limit ${INBOUND_BATCH} for update`,
    [stream.agentId, stream.channel, stream.stream],
  );
  const outcome: InboundOutcome = { turns: [], deferred: false };
  const done: string[] = [];
  for (const row of events) {
    const event = row.payload;
    const now = settings.now();
    if (event.kind === 'message') {
      const conversationId = await applyMessage(query, stream.agentId, stream.channel, event, now, settings);
      if (conversationId && !outcome.turns.some((t) => t.conversationId === conversationId)) {
        outcome.turns.push({ conversationId, channel: stream.channel });
      }
    } else if (event.kind === 'status') {
      const matched = await applyStatus(query, stream.agentId, stream.channel, event, now);
      if (!matched && now.getTime() - new Date(row.received_at).getTime() < ORPHAN_STATUS_TTL_MS) {
        outcome.deferred = true;
        continue;
      }
    } else {
      await applyContact(query, stream.agentId, stream.channel, event);
    }
    done.push(row.id);
  }
  if (done.length > 0) {
    await query(`update inbound_events set processed = true, processed_at = now() where id = any($1)`, [
      done,
    ]);
  }
  return { ...outcome, count: done.length };
}

/** Records a user message (or an edit); returns the conversation to run a turn for, if any. */
async function applyMessage(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: InboundMessageEvent,
  now: Date,
  settings: InboundSettings,
): Promise<string | undefined> {
  if (event.editOf) {
    await query(
      `update messages set content = $4, edited_at = $5, updated_at = $5
       where agent_id = $1 and channel = $2 and provider_message_id = $3 and direction = 'inbound'`,
      [agentId, channel, event.editOf, event.text, now],
    );
    return undefined;
  }
  const identity = await resolveIdentity(query, agentId, channel, event);
  if (identity.blockedAt) {
    // Writing to us again means they unblocked.
    await query(`update contact_identities set blocked_at = null where id = $1`, [identity.id]);
  }
  const threaded = event.inReplyTo?.length
    ? await threadConversation(query, {
        agentId,
        channel,
        contactId: identity.contactId,
        parentIds: event.inReplyTo,
        now,
      })
    : undefined;
  const conversation =
    threaded ??
    (await openConversation(query, {
      agentId,
      contactId: identity.contactId,
      userIdentifier: event.sender.userIdentifier ?? `${channel}:${event.sender.platformUserId}`,
      now,
      inactivityMs: settings.inactivityMs,
    }));
  const messageId = await insertUserMessage(query, { agentId, channel, conversation, event, now });
  return messageId && !event.noReply ? conversation.id : undefined;
}

/**
 * Adds a user message to a conversation and makes the conversation follow it: `channel` and
 * `channel_metadata` become this message's, `channel_history` and the analytics count it.
 * Returns the new message id, or undefined when the provider message id was already recorded.
 */
export async function insertUserMessage(
  query: SqlRunner,
  input: {
    agentId: string;
    channel: string;
    conversation: { id: string; channel_history: ChannelHistoryEntry[] };
    event: InboundMessageEvent;
    now: Date;
    /** Answered in the request that brought it (chat APIs): reconciliation never re-triggers it. */
    inline?: boolean;
  },
): Promise<string | undefined> {
  const { agentId, channel, conversation, event, now } = input;
  const recipient = { platformUserId: event.sender.platformUserId, chatId: event.sender.chatId };
  const inserted = await query<{ id: string }>(
    `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, provider_message_id,
                           status, attachments, recipient, metadata, answered_at, created_at, updated_at)
     values ($1, $2, $3, 'user', $4, $5, 'inbound', $6, 'received', $7::jsonb, $8::jsonb, $10::jsonb,
             case when $11 then $9::timestamptz end, $9, $9)
     on conflict do nothing returning id`,
    [
      newId('msg'),
      conversation.id,
      agentId,
      event.text,
      channel,
      event.providerMessageId ?? null,
      JSON.stringify(event.attachments ?? []),
      JSON.stringify(input.inline ? { ...recipient, inline: true } : recipient),
      now,
      event.messageMetadata ? JSON.stringify(event.messageMetadata) : null,
      Boolean(event.noReply),
    ],
  );
  if (!inserted[0]) return undefined;
  const metadata = {
    ...event.metadata,
    platform_user_id: `${channel}:${event.sender.platformUserId}`,
    chat_id: event.sender.chatId,
    ...(event.sender.username ? { username: event.sender.username } : {}),
  };
  await query(
    `update conversations set channel = $2, channel_metadata = $3::jsonb, channel_history = $4::jsonb,
            last_activity_at = $5, updated_at = $5
     where id = $1`,
    [
      conversation.id,
      channel,
      JSON.stringify(metadata),
      JSON.stringify(extendHistory(conversation.channel_history, channel, 1, now)),
      now,
    ],
  );
  await countChannelMessages(query, agentId, channel, 1, now);
  return inserted[0].id;
}

/** Status rank: an update applies only when it moves forward; `failed` only from queued or sent. */
const RANK_SQL = `case status when 'queued' then 0 when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 else 9 end`;
const NEW_RANK: Record<InboundStatusEvent['status'], number> = {
  delivered: 2,
  read: 3,
  failed: 2,
  blocked: 2,
};

/** Applies a delivery status; false when no sent message has that provider id (yet). */
async function applyStatus(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: InboundStatusEvent,
  now: Date,
): Promise<boolean> {
  const at = event.at ? new Date(event.at) : now;
  const failed = event.status === 'failed' || event.status === 'blocked';
  const exists = await query<{ id: string; recipient: { platformUserId: string } | null }>(
    `select id, recipient from messages
     where agent_id = $1 and channel = $2 and provider_message_id = $3 and direction = 'outbound'`,
    [agentId, channel, event.providerMessageId],
  );
  const message = exists[0];
  if (!message) return false;
  await query(
    `update messages set
       status = $2,
       delivered_at = case when $2 in ('delivered', 'read') then coalesce(delivered_at, $3) else delivered_at end,
       read_at = case when $2 = 'read' then coalesce(read_at, $3) else read_at end,
       error_code = case when $2 = 'failed' then $4 else error_code end,
       error_message = case when $2 = 'failed' then $5 else error_message end,
       updated_at = now()
     where id = $1 and ${RANK_SQL} < $6`,
    [
      message.id,
      failed ? 'failed' : event.status,
      at,
      event.error?.code ?? (event.status === 'blocked' ? 'recipient_blocked' : 'failed'),
      event.error?.message ?? (event.status === 'blocked' ? 'The recipient blocked this sender' : null),
      NEW_RANK[event.status],
    ],
  );
  if (event.status === 'blocked' && message.recipient) {
    await markBlocked(query, agentId, channel, message.recipient.platformUserId, true);
  }
  return true;
}

async function applyContact(query: SqlRunner, agentId: string, channel: string, event: InboundContactEvent) {
  await markBlocked(query, agentId, channel, event.platformUserId, event.blocked);
}

/** True when the person blocked this agent on the channel. */
export async function isBlocked(
  query: SqlRunner,
  agentId: string,
  channel: string,
  platformUserId: string,
): Promise<boolean> {
  const rows = await query(
    `select 1 from contact_identities where agent_id = $1 and channel = $2 and platform_user_id = $3
     and blocked_at is not null`,
    [agentId, channel, platformUserId],
  );
  return rows.length > 0;
}

/** Marks (or clears) a contact's block on one channel. */
export async function markBlocked(
  query: SqlRunner,
  agentId: string,
  channel: string,
  platformUserId: string,
  blocked: boolean,
): Promise<void> {
  await query(
    `update contact_identities set blocked_at = case when $4 then coalesce(blocked_at, now()) else null end,
            updated_at = now()
     where agent_id = $1 and channel = $2 and platform_user_id = $3`,
    [agentId, channel, platformUserId, blocked],
  );
}
