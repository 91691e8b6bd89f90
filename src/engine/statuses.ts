import type { InboundStatusEvent } from '../channels/types.ts';
import type { SqlRunner } from '../db/client.ts';
import { markBlocked } from './blocking.ts';
import { type ReengagementTemplate, holdForWindow } from './window-hold.ts';
import { publishEvent } from '../events/publish.ts';

/**
 * Status ranks: an update applies only when it moves the message forward (the UPDATE's WHERE enforces it,
 * so concurrent or out-of-order statuses can never move a message back). `played` (a voice message was
 * played) implies `read` and ranks above it. `failed` applies only to a message not yet delivered. Held,
 * failed and inbound rows rank 9: no status moves them.
 */
export function rankSql(column: string): string {
  return `case ${column} when 'queued' then 0 when 'sent' then 1 when 'delivered' then 2 when 'read' then 3
    when 'played' then 4 else 9 end`;
}
const RANK_SQL = rankSql('status');
/** The rank a status moves a message to (it applies only over a lower one). */
export const NEW_RANK: Record<InboundStatusEvent['status'], number> = {
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
  failed: 2,
  blocked: 2,
};

/** Number of status streams per channel account: statuses of different messages run in parallel. */
export const STATUS_STREAMS = 4;

/** The stream a status belongs to: one message's statuses always share a stream. */
export function statusStream(providerMessageId: string): string {
  let hash = 0;
  for (let i = 0; i < providerMessageId.length; i++) hash = (hash * 31 + providerMessageId.charCodeAt(i)) | 0;
  return `status:${Math.abs(hash) % STATUS_STREAMS}`;
}

/** True for the streams that carry status updates. */
export function isStatusStream(stream: string): boolean {
  return stream.startsWith('status:');
}

/** Tries a status waiting for its message gets before it is dropped (about 10 minutes in all). */
export const STATUS_MAX_ATTEMPTS = 25;

/** Wait before a waiting status is looked at again: 1 s doubling, at most 30 s. */
export function statusRetryDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

type StatusMessage = {
  id: string;
  conversation_id: string;
  agent_id: string;
  channel: string;
  recipient: { platformUserId: string; chatId: string } | null;
  template: unknown;
};

/**
 * Applies a delivery status to the outbound message with that provider id (or with our id, when the provider
 * echoed it in `event.messageId`); false when there is none (yet).
 * A `failed` status flagged `outsideWindow` holds the message behind a re-engagement template (or fails it
 * with `outside_window`); the conversation to deliver is then returned in `deliver`.
 */
export async function applyStatus(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: InboundStatusEvent,
  context: { now: Date; reengagement: ReengagementTemplate | null },
): Promise<{ matched: boolean; deliver?: string }> {
  const at = event.at ? new Date(event.at) : context.now;
  const failed = event.status === 'failed' || event.status === 'blocked';
  // Our own id when the provider echoed it (never guessed); else the provider's id.
  const matchColumn = event.messageId ? 'id' : 'provider_message_id';
  const matchValue = event.messageId ?? event.providerMessageId;
  const updated = await query<StatusMessage>(
    `update messages set
       status = $4,
       delivered_at = case when $4 in ('delivered', 'read', 'played') then coalesce(delivered_at, $5)
                      else delivered_at end,
       read_at = case when $4 in ('read', 'played') then coalesce(read_at, $5) else read_at end,
       error_code = case when $4 = 'failed' then $6 else error_code end,
       error_message = case when $4 = 'failed' then $7 else error_message end,
       updated_at = now()
     where agent_id = $1 and channel = $2 and ${matchColumn} = $3 and direction = 'outbound'
       and ${RANK_SQL} < $8
     returning id, conversation_id, agent_id, channel, recipient, template`,
    [
      agentId,
      channel,
      matchValue,
      failed ? 'failed' : event.status,
      at,
      event.error?.code ?? (event.status === 'blocked' ? 'recipient_blocked' : 'failed'),
      event.error?.message ?? (event.status === 'blocked' ? 'The recipient blocked this sender' : null),
      NEW_RANK[event.status],
    ],
  );
  const message = updated[0];
  if (!message) {
    // Not moved: either an old status for a message further along (done), or no such message yet. A message
    // still behind this status was not visible to the UPDATE (its send committed meanwhile): look again later.
    const exists = await query(
      `select 1 from messages
       where agent_id = $1 and channel = $2 and ${matchColumn} = $3 and direction = 'outbound'
         and ${RANK_SQL} >= $4`,
      [agentId, channel, matchValue, NEW_RANK[event.status]],
    );
    return { matched: exists.length > 0 };
  }
  await publishEvent(query, {
    agentId,
    type: 'message.status',
    conversationId: message.conversation_id,
    messageId: message.id,
    data: {
      status: failed ? 'failed' : event.status,
      channel,
      ...(failed
        ? { code: event.error?.code ?? (event.status === 'blocked' ? 'recipient_blocked' : 'failed') }
        : {}),
    },
  });
  if (event.status === 'blocked' && message.recipient) {
    await markBlocked(query, agentId, channel, message.recipient.platformUserId, true);
  }
  if (event.status === 'failed' && event.outsideWindow && message.recipient && !message.template) {
    const outcome = await holdForWindow(
      query,
      { ...message, recipient: message.recipient },
      context.reengagement,
      context.now,
    );
    if (outcome === 'held') return { matched: true, deliver: message.conversation_id };
  }
  return { matched: true };
}
