import type { InboundStatusEvent } from '../channels/types.ts';
import type { SqlRunner } from '../db/client.ts';
import { publishEvents } from '../events/publish.ts';
import { NEW_RANK, rankSql } from './statuses.ts';

type MovedRow = { id: string; conversation_id: string; status: string; error_code: string | null };

/** A status event of the batch, with the id of its inbound_events row. */
export type BatchedStatus = { rowId: string; event: InboundStatusEvent };

/**
 * True for the statuses applied set-based: everything but `blocked` (which also marks the contact) and a
 * `failed` outside WhatsApp's window (which holds the message for a template); those go one by one.
 */
export function isPlainStatus(event: InboundStatusEvent): boolean {
  return event.status !== 'blocked' && !(event.status === 'failed' && event.outsideWindow);
}

/**
 * applyStatusBatch's statement ($1 agent, $2 channel, $3 the statuses as JSON). Each status finds its message by one
 * lateral lookup on the index its id names (`offset 0` keeps it there: a plan cached while messages was small
 * otherwise walked all the agent's messages per batch, 160-230 ms each in a 30,000-status backlog).
 */
export const STATUS_BATCH_SQL = `with incoming as (
   select * from jsonb_to_recordset($3::jsonb)
     as x(n int, row_id text, by_id boolean, match_id text, status text, rank int, at timestamptz, code text,
          message text)),
 target as (
   select m.id, i.* from incoming i
   cross join lateral (
     select id, direction from messages
     where agent_id = $1 and channel = $2 and provider_message_id = i.match_id offset 0) m
   where not i.by_id and m.direction = 'outbound'
   union all
   select m.id, i.* from incoming i
   cross join lateral (
     select id, agent_id, channel, direction from messages where id = i.match_id offset 0) m
   where i.by_id and m.agent_id = $1 and m.channel = $2 and m.direction = 'outbound'),
 best as (
   select distinct on (id) id, status, rank, code, message,
          min(at) filter (where status in ('delivered', 'read', 'played')) over (partition by id) as delivered,
          min(at) filter (where status in ('read', 'played')) over (partition by id) as read
   from target order by id, rank desc, n),
 moved as (
   update messages m set
     status = b.status,
     delivered_at = case when b.status in ('delivered', 'read', 'played')
                    then coalesce(m.delivered_at, b.delivered) else m.delivered_at end,
     read_at = case when b.status in ('read', 'played') then coalesce(m.read_at, b.read) else m.read_at end,
     error_code = case when b.status = 'failed' then b.code else m.error_code end,
     error_message = case when b.status = 'failed' then b.message else m.error_message end,
     updated_at = now()
   from best b
   where m.id = any(array(select id from best)) and m.id = b.id and ${rankSql('m.status')} < b.rank
   returning m.id, m.conversation_id, m.status, m.error_code)
 select 'moved' as kind, id, conversation_id, status, error_code from moved
 union all
 select 'matched', row_id, null, null, null from target`;

/**
 * Applies a batch of plain statuses in ONE statement: per message, the highest-ranked status of the batch
 * (the first of equal rank) moves it forward if it ranks above where the message is, with `delivered_at` and
 * `read_at` taken from the earliest status of the batch that implies them. The rank check in the UPDATE keeps
 * it from ever moving a message back, whatever ran concurrently. Then one `message.status` event per message
 * moved (its new status). Returns the row ids whose message exists (applied, or already further along); the
 * others wait for their message.
 */
export async function applyStatusBatch(
  query: SqlRunner,
  agentId: string,
  channel: string,
  statuses: BatchedStatus[],
  now: Date,
): Promise<Set<string>> {
  if (statuses.length === 0) return new Set();
  const incoming = statuses.map(({ rowId, event }, n) => ({
    n,
    row_id: rowId,
    // Our own id when the provider echoed it (never guessed); else the provider's id.
    by_id: Boolean(event.messageId),
    match_id: event.messageId ?? event.providerMessageId,
    status: event.status,
    rank: NEW_RANK[event.status],
    at: event.at ? new Date(event.at).toISOString() : now.toISOString(),
    code: event.error?.code ?? 'failed',
    message: event.error?.message ?? null,
  }));
  const rows = await query<MovedRow & { kind: 'moved' | 'matched' }>(STATUS_BATCH_SQL, [
    agentId,
    channel,
    JSON.stringify(incoming),
  ]);
  const matched = new Set<string>();
  const moved: MovedRow[] = [];
  for (const row of rows) {
    if (row.kind === 'matched') matched.add(row.id);
    else moved.push(row);
  }
  await publishEvents(
    query,
    moved.map((message) => ({
      agentId,
      type: 'message.status' as const,
      conversationId: message.conversation_id,
      messageId: message.id,
      data: {
        status: message.status,
        channel,
        ...(message.status === 'failed' ? { code: message.error_code ?? 'failed' } : {}),
      },
    })),
  );
  return matched;
}
