import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/client.ts';

/** One message to store, in conversation order (its `seq` follows the order given). */
export type SeedMessage = {
  at: string;
  direction: 'inbound' | 'outbound';
  /** Default: `user` inbound, `assistant` outbound. */
  role?: 'user' | 'assistant' | 'human';
  /** Default: `received` inbound, `sent` outbound. */
  status?: string;
  /** Outbound: when it was sent (default: null, i.e. not sent). */
  sentAt?: string;
  errorCode?: string;
  errorMessage?: string;
  /** Default: the conversation's channel. */
  channel?: string;
};

export type SeedConversation = {
  channel: string;
  status?: 'active' | 'closed';
  handoffAt?: string;
  messages: SeedMessage[];
};

const id = (prefix: string) => `${prefix}_seed${randomBytes(8).toString('hex')}`;

/** Writes a conversation and its messages straight into the database, with the given timestamps. */
export async function seedConversation(
  database: Database,
  agentId: string,
  conversation: SeedConversation,
): Promise<string> {
  const conversationId = id('conv');
  const first = conversation.messages[0]?.at ?? new Date().toISOString();
  await database.query(
    `insert into conversations (id, agent_id, user_identifier, channel, status, handoff_at, handoff_by,
                                created_at, updated_at, last_activity_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)`,
    [
      conversationId,
      agentId,
      `${conversation.channel}:${conversationId}`,
      conversation.channel,
      conversation.status ?? 'active',
      conversation.handoffAt ?? null,
      conversation.handoffAt ? 'operator' : null,
      first,
    ],
  );
  for (const message of conversation.messages) {
    const inbound = message.direction === 'inbound';
    await database.query(
      `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, sent_at,
                             error_code, error_message, created_at, updated_at)
       values ($1, $2, $3, $4, 'seeded', $5, $6, $7, $8, $9, $10, $11, $11)`,
      [
        id('msg'),
        conversationId,
        agentId,
        message.role ?? (inbound ? 'user' : 'assistant'),
        message.channel ?? conversation.channel,
        message.direction,
        message.status ?? (inbound ? 'received' : 'sent'),
        message.sentAt ?? null,
        message.errorCode ?? null,
        message.errorMessage ?? null,
        message.at,
      ],
    );
  }
  return conversationId;
}
