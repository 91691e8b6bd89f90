import type { ProviderAdapter, ReplyPart } from '../channels/types.ts';
import type { SqlRunner } from '../db/client.ts';
import { newId } from '../ids.ts';
import { blockedSql } from './blocking.ts';
import { markPendingAnswered } from './pending-sql.ts';
import { publishEvent } from '../events/publish.ts';
import type { AgentForTurn, TurnInput, TurnMessage, TurnReply } from './responder.ts';

/** Most history messages loaded for a turn. */
export const TURN_HISTORY_LIMIT = 100;

type PendingRow = {
  id: string;
  seq: string | number;
  content: string;
  channel: string;
  /** ISO time (read as JSON). */
  created_at: string;
  recipient: { platformUserId: string; chatId: string };
  provider_message_id: string | null;
};

/** An earlier message of the conversation, as the turn's history reads it. */
type HistoryRow = { role: TurnMessage['role']; content: string; channel: string; created_at: string };

/** A turn ready for the agent: its input plus where the reply goes. */
export type PreparedTurn = {
  input: TurnInput;
  pendingIds: string[];
  /** The newest pending message: the reply is keyed to it, so a retried turn writes its reply once. */
  replyTo: string;
  /** When the oldest pending message arrived: the turn is due a debounce after it. */
  firstPendingAt: Date;
  recipient: { platformUserId: string; chatId: string };
  /** The provider's id of the newest pending message, when it has one (WhatsApp marks it read). */
  latestProviderMessageId?: string;
  /** When a human's message last came back as an echo (sent from another client); null when never. */
  lastEchoAt: Date | null;
  /** The recipient had blocked the agent on the channel when the turn was read (no typing indicator then). */
  blocked: boolean;
  /** The conversation's handoff state and the agent's channel settings as read with it (the turn gate's input). */
  gate: { handoffAt: Date | null; status: string; settings: Record<string, unknown> | null };
  /** The agent as the responder needs it, read with the turn. */
  agent: AgentForTurn;
};

/** What prepareTurn reads in one statement: the pending messages and the history as JSON arrays, oldest first. */
type TurnRow = {
  pending: PendingRow[];
  history: HistoryRow[] | null;
  agent_id: string;
  display_name: string | null;
  username: string | null;
  handoff_at: Date | null;
  status: string;
  settings: Record<string, unknown> | null;
  last_echo_at: Date | null;
  blocked: boolean;
  agent_status: AgentForTurn['status'];
  system_prompt: string;
  project_id: string;
  llm_settings: AgentForTurn['llmSettings'];
  llm_key_id: string | null;
};

/**
 * One statement: the conversation's unanswered messages, the conversation with what the turn gate needs (its
 * contact's name and username on the newest pending message's channel, the agent's channel settings, the last
 * echoed human message), whether that message's sender has blocked the agent, the agent as the responder needs it,
 * and the history before the first pending message. No row when nothing is waiting.
 */
const PREPARE_TURN_SQL = `
  with pending as materialized (
    select id, seq, content, channel, created_at, recipient, provider_message_id from messages
    where conversation_id = $1 and direction = 'inbound' and answered_at is null)
  select (select json_agg(p order by p.seq) from pending p) as pending,
         (select json_agg(h order by h.seq) from (
            select role, content, channel, created_at, seq from messages
            where conversation_id = $1 and seq < (select min(seq) from pending)
              and not (direction = 'inbound' and answered_at is null)
            order by seq desc limit ${TURN_HISTORY_LIMIT}) h) as history,
         c.agent_id, k.display_name, i.username, c.handoff_at, c.status, cc.settings,
         a.status as agent_status, a.system_prompt, a.project_id, a.llm_settings, a.llm_key_id,
         (select max(m.created_at) from messages m
          where m.conversation_id = c.id and m.role = 'human' and m.direction = 'outbound'
            and m.recipient->>'echo' = 'true') as last_echo_at,
         ${blockedSql(
           'c.agent_id',
           '(select channel from pending order by seq desc limit 1)',
           "(select recipient ->> 'platformUserId' from pending order by seq desc limit 1)",
         )} as blocked
  from conversations c
  join agents a on a.id = c.agent_id
  left join contacts k on k.id = c.contact_id
  left join contact_identities i on i.contact_id = c.contact_id
    and i.channel = (select channel from pending order by seq desc limit 1)
  left join channel_configs cc on cc.agent_id = c.agent_id
  where c.id = $1 and exists (select 1 from pending)`;

/** Loads the conversation's unanswered messages and history; undefined when nothing is waiting. */
export async function prepareTurn(
  query: SqlRunner,
  conversationId: string,
): Promise<PreparedTurn | undefined> {
  const [conversation] = await query<TurnRow>(PREPARE_TURN_SQL, [conversationId]);
  if (!conversation) return undefined;
  const pending = conversation.pending;
  const history = conversation.history ?? [];
  const latest = pending.at(-1);
  if (!latest) return undefined;
  const toMessage = (row: HistoryRow) => ({
    role: row.role,
    content: row.content,
    channel: row.channel,
    createdAt: new Date(row.created_at).toISOString(),
  });
  return {
    input: {
      agentId: conversation.agent_id,
      conversationId,
      channel: latest.channel,
      pending: pending.map((row) => toMessage({ ...row, role: 'user' })),
      history: history.map(toMessage),
      contact: {
        ...(conversation.display_name ? { displayName: conversation.display_name } : {}),
        ...(conversation.username ? { username: conversation.username } : {}),
      },
    },
    pendingIds: pending.map((row) => row.id),
    replyTo: latest.id,
    lastEchoAt: conversation.last_echo_at ? new Date(conversation.last_echo_at) : null,
    blocked: conversation.blocked,
    firstPendingAt: new Date((pending[0] ?? latest).created_at),
    recipient: latest.recipient,
    ...(latest.provider_message_id ? { latestProviderMessageId: latest.provider_message_id } : {}),
    gate: {
      handoffAt: conversation.handoff_at,
      status: conversation.status,
      settings: conversation.settings,
    },
    agent: {
      status: conversation.agent_status,
      systemPrompt: conversation.system_prompt,
      projectId: conversation.project_id,
      llmSettings: conversation.llm_settings,
      llmKeyId: conversation.llm_key_id,
      settings: conversation.settings,
    },
  };
}

/**
 * The reply as the parts its channel carries (the adapter's `splitReply`, else one part holding everything).
 * None when there is nothing to show; a reply with attachments but no text still has parts.
 */
export function replyParts(reply: TurnReply, adapter?: Pick<ProviderAdapter, 'splitReply'>): ReplyPart[] {
  const whole: ReplyPart = {
    text: reply.text.trim(),
    ...(reply.attachments?.length ? { attachments: reply.attachments } : {}),
    ...(reply.buttons?.length ? { buttons: reply.buttons } : {}),
  };
  if (whole.text === '' && !whole.attachments) return [];
  const parts = adapter?.splitReply?.(whole) ?? [whole];
  return parts.filter((part) => part.text.trim() !== '' || part.attachments?.length);
}

/**
 * Records that a turn could not be answered: the pending messages are marked answered (no retry loop)
 * and a `failed` assistant message carries the code and reason, so the conversation shows the failure.
 */
export async function recordTurnFailure(
  query: SqlRunner,
  turn: PreparedTurn,
  failure: { code: string; message: string },
  now: Date,
): Promise<boolean> {
  if ((await markPendingAnswered(query, turn.input.conversationId, turn.pendingIds, now)) === 0) return false;
  const failedId = newId('msg');
  await query(
    `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient,
                           reply_to, part, error_code, error_message, created_at, updated_at)
     values ($1, $2, $3, 'assistant', '', $4, 'outbound', 'failed', $5::jsonb, $6, 0, $7, $8, $9, $9)
     on conflict do nothing`,
    [
      failedId,
      turn.input.conversationId,
      turn.input.agentId,
      turn.input.channel,
      JSON.stringify(turn.recipient),
      turn.replyTo,
      failure.code,
      failure.message.slice(0, 1000),
      now,
    ],
  );
  await publishEvent(query, {
    agentId: turn.input.agentId,
    type: 'message.status',
    conversationId: turn.input.conversationId,
    messageId: failedId,
    data: { status: 'failed', code: failure.code },
  });
  return true;
}
