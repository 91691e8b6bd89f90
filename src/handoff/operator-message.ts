import { publishEvents } from '../events/publish.ts';
import type { ProviderAdapter } from '../channels/types.ts';
import type { SqlRunner } from '../db/client.ts';
import type { ChannelHistoryEntry } from '../db/schema-conversations.ts';
import { countChannelMessages } from '../conversations/analytics.ts';
import { extendHistory } from '../engine/conversation-store.ts';
import { INLINE_CHANNELS } from '../engine/senders.ts';
import { replyParts } from '../engine/turn.ts';
import type { OutboundAttachment } from '../channels/types.ts';
import { newId } from '../ids.ts';

export type Recipient = { platformUserId: string; chatId: string };

/**
 * Where a conversation's messages on `channel` go: the address of the person's latest message there, else of our
 * latest message there (a conversation started by outreach). Undefined when it has none on that channel.
 */
export async function recipientOf(
  query: SqlRunner,
  conversationId: string,
  channel: string,
): Promise<Recipient | undefined> {
  const rows = await query<{ recipient: Recipient }>(
    `select recipient from messages
     where conversation_id = $1 and channel = $2 and recipient is not null and recipient->>'echo' is null
     order by (direction = 'inbound') desc, seq desc limit 1`,
    [conversationId, channel],
  );
  const found = rows[0]?.recipient;
  return found ? { platformUserId: found.platformUserId, chatId: found.chatId } : undefined;
}

/**
 * Stores an operator's message as role `human` outbound rows (one per part the channel carries, split like agent
 * replies) with the operator's user id, in the caller's transaction, behind everything already queued: the
 * delivery job sends them in order with the same retries, statuses and WhatsApp window rules as agent replies.
 * Website (inline) messages are stored as sent: the widget reads them from the history. Returns the ids.
 */
export async function insertOperatorMessage(
  query: SqlRunner,
  input: {
    agentId: string;
    conversationId: string;
    channel: string;
    recipient: Recipient;
    text: string;
    attachments: OutboundAttachment[];
    userId: string;
    adapter?: Pick<ProviderAdapter, 'splitReply'>;
    now: Date;
  },
): Promise<string[]> {
  const { now } = input;
  // The conversation row first (as turns do), so concurrent writers queue in one order.
  const rows = await query<{ channel_history: ChannelHistoryEntry[] }>(
    'select channel_history from conversations where id = $1 for update',
    [input.conversationId],
  );
  const parts = replyParts(
    { text: input.text, ...(input.attachments.length ? { attachments: input.attachments } : {}) },
    input.adapter,
  );
  const status = INLINE_CHANNELS.has(input.channel) ? 'sent' : 'queued';
  const ids: string[] = [];
  for (const part of parts) {
    const id = newId('msg');
    ids.push(id);
    await query(
      `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient,
                             attachments, user_id, sent_at, created_at, updated_at)
       values ($1, $2, $3, 'human', $4, $5, 'outbound', $6, $7::jsonb, $8::jsonb, $9, $10, $11, $11)`,
      [
        id,
        input.conversationId,
        input.agentId,
        part.text,
        input.channel,
        status,
        JSON.stringify(input.recipient),
        JSON.stringify(part.attachments ?? []),
        input.userId,
        status === 'sent' ? now : null,
        now,
      ],
    );
  }
  await query(
    `update conversations set channel_history = $2::jsonb, last_activity_at = $3, updated_at = $3 where id = $1`,
    [
      input.conversationId,
      JSON.stringify(extendHistory(rows[0]?.channel_history ?? [], input.channel, parts.length, now)),
      now,
    ],
  );
  await countChannelMessages(query, input.agentId, input.channel, parts.length, now);
  await publishEvents(
    query,
    ids.map((messageId) => ({
      agentId: input.agentId,
      type: 'reply.queued' as const,
      conversationId: input.conversationId,
      messageId,
      data: { channel: input.channel, status, role: 'human', user_id: input.userId },
    })),
  );
  return ids;
}
