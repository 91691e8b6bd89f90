import type { ReplyPart } from '../channels/types.ts';
import { channelCountCte } from '../conversations/analytics.ts';
import type { Database, SqlRunner } from '../db/client.ts';
import { AGENT_EVENTS_CHANNEL, eventsSql, WEBHOOKS_DUE } from '../events/publish.ts';
import { startHandoff } from '../handoff/state.ts';
import { newId } from '../ids.ts';
import { blockedSql } from './blocking.ts';
import type { QueuedRow } from './delivery.ts';
import { pendingOfConversationSql } from './pending-sql.ts';
import type { TurnReply } from './responder.ts';
import type { PreparedTurn } from './turn.ts';

/**
 * The conversation's channel history after `$13` more messages on channel `$3` at `$14` (conversation-store.ts
 * extendHistory, in SQL): the last entry counts them when it is that channel, else a new entry is appended.
 */
const EXTENDED_HISTORY = `case
  when $13::int = 0 then c.channel_history
  when c.channel_history->-1->>'channel' = $3 then jsonb_set(c.channel_history,
    array[(jsonb_array_length(c.channel_history) - 1)::text, 'message_count'],
    to_jsonb((c.channel_history->-1->>'message_count')::int + $13::int))
  else coalesce(c.channel_history, '[]'::jsonb)
    || jsonb_build_array(jsonb_build_object('channel', $3::text, 'timestamp', $14::text, 'message_count', $13::int))
  end`;

const events = eventsSql(
  15,
  "where e->>'messageId' in (select id from inserted)",
  `coalesce(e->'data', '{}'::jsonb) || jsonb_build_object('status', (select status from go))`,
);

/**
 * The whole reply in one statement, atomic without a transaction: the conversation row locked (first: everything
 * after waits on it) and the pending messages marked answered; only when that marked some (no other run answered
 * them) and no human holds the conversation (then they are left to the human): the parts stored (`failed` when the
 * person blocked the agent on the channel, `sent` for a channel answered inline, else `queued`), the conversation's
 * history, activity and token totals updated, the parts counted for analytics and their `reply.queued` events
 * appended. It also says whether older replies still wait to be sent (`queued_before`, read before this insert)
 * and the conversation's channel metadata, so delivery can start with these parts without reading them back.
 * $1 conversation, $2 agent, $3 channel, $4 recipient's platform user id, $5 pending ids, $6 now, $7 parts (jsonb),
 * $8 inline, $9 recipient (jsonb), $10 replied-to message, $11/$12 tokens, $13 part count, $14 now as ISO text,
 * then the events (eventsSql's three) and the channel count's four.
 */
export const RECORD_REPLY_SQL = `
  with conv as materialized (
     select c.handoff_at, c.channel_metadata, ${blockedSql('$2', '$3', '$4')} as blocked
     from conversations c where c.id = $1 for update of c),
   answered as (
     update messages set answered_at = $6, updated_at = $6
     where ${pendingOfConversationSql('$1', '$5')} and exists (select 1 from conv) returning id),
   go as materialized (
     select blocked, case when blocked then 'failed' when $8::boolean then 'sent' else 'queued' end as status
     from conv where handoff_at is null and exists (select 1 from answered)),
   inserted as (
     insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient,
                           buttons, attachments, input_tokens, output_tokens, reply_to, part, sent_at,
                           error_code, error_message, created_at, updated_at)
     select p.id, $1, $2, 'assistant', p.text, $3, 'outbound', go.status, $9::jsonb, p.buttons, p.attachments,
            p.input_tokens, p.output_tokens, $10, p.part,
            case when go.status = 'sent' then $6::timestamptz end,
            case when go.blocked then 'recipient_blocked' end,
            case when go.blocked then 'The recipient blocked this sender; nothing was sent' end, $6, $6
     from go cross join jsonb_to_recordset($7::jsonb)
       as p(id text, text text, buttons jsonb, attachments jsonb, input_tokens int, output_tokens int, part int)
     order by p.part
     on conflict do nothing returning id),
   changed as (
     update conversations c set channel_history = ${EXTENDED_HISTORY}, last_activity_at = $6, updated_at = $6,
            input_tokens = c.input_tokens + $11, output_tokens = c.output_tokens + $12
     where c.id = $1 and exists (select 1 from go) returning c.id),
   ${events.ctes},
   notified as (${events.notify}),
   ${channelCountCte(18, 'exists (select 1 from changed)')}
  select (select count(*) from conv)::int as found, (select handoff_at from conv) as handoff_at,
         (select status from go) as status, (select count(*) from notified)::int as notified,
         (select channel_metadata from conv) as channel_metadata,
         exists (select 1 from messages where conversation_id = $1 and direction = 'outbound' and status = 'queued')
           as queued_before`;

export type RecordedReply = {
  recorded: boolean;
  queued: number;
  handoff?: true;
  /**
   * What waits to be sent in this conversation once the reply is written, when that is known: its queued parts in
   * order (none when sent inline or blocked), as nothing older waits before them. Delivery's first read, done here.
   */
  ready?: QueuedRow[];
};

/** Writes the reply (RECORD_REPLY_SQL) on `query`. */
async function writeReply(
  query: SqlRunner,
  turn: PreparedTurn,
  reply: TurnReply,
  parts: ReplyPart[],
  options: { now: Date; deliveredInline: boolean },
): Promise<RecordedReply> {
  const { agentId, conversationId, channel } = turn.input;
  const { now } = options;
  const usage = reply.usage;
  const rows = parts.map((part, index) => ({
    id: newId('msg'),
    text: part.text,
    buttons: part.buttons?.length ? part.buttons : null,
    attachments: part.attachments ?? [],
    input_tokens: index === 0 ? (usage?.inputTokens ?? null) : null,
    output_tokens: index === 0 ? (usage?.outputTokens ?? null) : null,
    part: index,
  }));
  const replyEvents = rows.map((row) => ({
    agentId,
    type: 'reply.queued' as const,
    conversationId,
    messageId: row.id,
    data: { channel },
  }));
  const [row] = await query<{
    found: number;
    handoff_at: Date | null;
    status: string | null;
    channel_metadata: Record<string, unknown> | null;
    queued_before: boolean;
  }>(RECORD_REPLY_SQL, [
    conversationId,
    agentId,
    channel,
    turn.recipient.platformUserId,
    turn.pendingIds,
    now,
    JSON.stringify(rows),
    options.deliveredInline,
    JSON.stringify(turn.recipient),
    turn.replyTo,
    usage?.inputTokens ?? 0,
    usage?.outputTokens ?? 0,
    parts.length,
    now.toISOString(),
    JSON.stringify(replyEvents),
    AGENT_EVENTS_CHANNEL,
    WEBHOOKS_DUE,
    agentId,
    channel,
    parts.length,
    now,
  ]);
  // The row lock orders this against a handoff: one that committed first wins, the agent stays silent, and the
  // pending messages are left (answered) to the human.
  if (row?.handoff_at) return { recorded: false, queued: 0, handoff: true };
  // No conversation, or another run of this turn already committed its reply.
  if (!row?.found || !row.status) return { recorded: false, queued: 0 };
  const queued = row.status === 'queued' ? parts.length : 0;
  if (row.queued_before) return { recorded: true, queued };
  const ready = (queued ? rows : []).map((part) => ({
    id: part.id,
    conversation_id: conversationId,
    agent_id: agentId,
    channel,
    content: part.text,
    recipient: turn.recipient,
    buttons: part.buttons,
    attachments: part.attachments,
    template: null,
    attempts: 0,
    next_attempt_at: null,
    channel_metadata: row.channel_metadata,
    role: 'assistant',
  }));
  return { recorded: true, queued, ready };
}

/**
 * Stores the reply parts, each with its own text, attachments and buttons, as queued outbound messages (or
 * `sent` when the channel needs no delivery) and marks the pending messages answered: one statement, no
 * transaction. `recorded` is false when another run already answered them, or when a human took the conversation
 * over meanwhile (`handoff`: nothing is written); `queued` is how many need delivery. A reply that asks for a
 * handoff (the LLM's tool) starts it in the same transaction.
 */
export async function recordReply(
  database: Database,
  turn: PreparedTurn,
  reply: TurnReply,
  parts: ReplyPart[],
  options: { now: Date; deliveredInline: boolean },
): Promise<RecordedReply> {
  const handoff = reply.handoff;
  if (!handoff) return writeReply(database.query, turn, reply, parts, options);
  return database.transaction(async (query) => {
    const recorded = await writeReply(query, turn, reply, parts, options);
    if (recorded.recorded) {
      await startHandoff(query, {
        agentId: turn.input.agentId,
        conversationId: turn.input.conversationId,
        by: 'agent',
        reason: handoff.reason,
        now: options.now,
      });
    }
    return recorded;
  });
}
