import type { InboundContactEvent, InboundEvent, InboundMessageEvent } from '../channels/types.ts';
import { WINDOW_CHANNEL } from '../channels/whatsapp/window.ts';
import type { SqlRunner } from '../db/client.ts';
import { newId } from '../ids.ts';
import { channelCountsCte, countChannelMessages } from '../conversations/analytics.ts';
import { type Statement, withJobInsert } from './job-rider.ts';
import type { ChannelHistoryEntry } from '../db/schema-conversations.ts';
import { markBlocked } from './blocking.ts';
import {
  extendHistory,
  openConversation,
  resolveIdentity,
  threadConversation,
} from './conversation-store.ts';
import { applyStatus, isStatusStream, STATUS_MAX_ATTEMPTS, statusRetryDelayMs } from './statuses.ts';
import { applyStatusBatch, type BatchedStatus, isPlainStatus } from './status-batch.ts';
import { type ReengagementTemplate, reopenWindow } from './window-hold.ts';
import { applyEcho, applyIdentityChange } from './identity-events.ts';
import { publishEventsIf } from '../events/publish.ts';

/** Events of one sender's stream handled per transaction. */
export const INBOUND_BATCH = 50;
/** Events of one status stream handled per transaction: they are applied by one statement. */
export const STATUS_BATCH = 1000;

/** How many events of `stream` one transaction takes. */
export function inboundBatchSize(stream: string): number {
  return isStatusStream(stream) ? STATUS_BATCH : INBOUND_BATCH;
}

/** A stream of events processed in order: one sender's messages, or an account's statuses. */
export type InboundStream = { agentId: string; channel: string; stream: string };

/** A stream to process, with its account's re-engagement template (when it has one and its adapter sends them). */
export type StreamWork = InboundStream & { reengagement: ReengagementTemplate | null };

export type InboundSettings = {
  inactivityMs: number;
  now: () => Date;
  /** The jobs the batch's outcome calls for, as their insert: it rides in the batch's last statement. */
  jobs?: (outcome: InboundOutcome) => Promise<Statement | undefined>;
};

/** What processing asks for next: turns to schedule, and conversations with replies due for delivery. */
export type InboundOutcome = {
  turns: { conversationId: string; channel: string }[];
  deliveries: string[];
};

/** One stream's outcome; `count` is how many of its events were looked at. */
export type StreamOutcome = InboundOutcome & { count: number };

type EventRow = { id: string; payload: InboundEvent; attempts: number };

/** Messages stored by one batch on one channel, for its single analytics update. */
type MessageTally = { count: number; at: Date };

/** Each stream's due events, up to its own limit, oldest first; `i` numbers the streams from 1 as given. */
export const DUE_EVENTS_SQL = `select s.i::int as i, e.id, e.payload, e.attempts
  from unnest($1::text[], $2::text[], $3::text[], $4::int[]) with ordinality as s(agent_id, channel, stream, size, i)
  cross join lateral (
    select id, payload, attempts, seq from inbound_events
    where agent_id = s.agent_id and channel = s.channel and stream = s.stream and not processed
      and (retry_at is null or retry_at <= $5)
    order by seq limit s.size for update skip locked) e
  order by s.i, e.seq`;

/**
 * Processes up to `inboundBatchSize(stream)` due events of each stream, each stream in arrival order, in the
 * caller's transaction, and marks them processed there: each event takes effect exactly once. Several senders'
 * streams share the transaction's fixed costs (its due-events read and its last statement); their events are
 * independent. Plain statuses are applied together by one statement after a stream's other events (they need
 * no order: the rank check never moves a message back). A status whose message is not recorded as sent yet is not
 * processed but given a retry time, so it never holds up the events behind it; after STATUS_MAX_ATTEMPTS tries it
 * is dropped. Returns one outcome per stream, in order.
 */
export async function processInboundStreams(
  query: SqlRunner,
  work: StreamWork[],
  settings: InboundSettings,
): Promise<StreamOutcome[]> {
  const rows = await query<EventRow & { i: number }>(DUE_EVENTS_SQL, [
    work.map((w) => w.agentId),
    work.map((w) => w.channel),
    work.map((w) => w.stream),
    work.map((w) => inboundBatchSize(w.stream)),
    settings.now(),
  ]);
  const byStream = work.map((): EventRow[] => []);
  for (const row of rows) byStream[row.i - 1]?.push(row);
  const handled: string[] = [];
  const waiting: { id: string; attempts: number }[] = [];
  const tallies = new Map<string, MessageTally & { agentId: string; channel: string }>();
  const outcomes: StreamOutcome[] = [];
  for (const [index, item] of work.entries()) {
    const key = `${item.agentId}\n${item.channel}`;
    const tally = tallies.get(key) ?? {
      agentId: item.agentId,
      channel: item.channel,
      count: 0,
      at: settings.now(),
    };
    tallies.set(key, tally);
    const events = byStream[index] ?? [];
    const result = await processStream(query, item, events, settings, tally);
    handled.push(...result.done);
    waiting.push(...result.waiting);
    outcomes.push({ ...result.outcome, count: events.length });
  }
  await scheduleRetries(query, waiting, settings.now());
  await finishBatch(query, handled, [...tallies.values()], await settings.jobs?.(mergeOutcomes(outcomes)));
  return outcomes;
}

/** One stream's events in order; returns its outcome, the events done, and the statuses to look at again. */
async function processStream(
  query: SqlRunner,
  work: StreamWork,
  events: EventRow[],
  settings: InboundSettings,
  tally: MessageTally,
) {
  const { agentId, channel } = work;
  const outcome: InboundOutcome = { turns: [], deliveries: [] };
  const done: string[] = [];
  const plain: (BatchedStatus & { attempts: number })[] = [];
  const waiting: { id: string; attempts: number }[] = [];
  for (const row of events) {
    const event = row.payload;
    const now = settings.now();
    if (event.kind === 'message') {
      const applied = await applyMessage(query, agentId, channel, event, now, settings, tally);
      const conversationId = applied.turn;
      if (conversationId && !outcome.turns.some((t) => t.conversationId === conversationId)) {
        outcome.turns.push({ conversationId, channel });
      }
      outcome.deliveries.push(...applied.deliveries);
    } else if (event.kind === 'status' && isPlainStatus(event)) {
      plain.push({ rowId: row.id, event, attempts: row.attempts });
      continue;
    } else if (event.kind === 'status') {
      const applied = await applyStatus(query, agentId, channel, event, {
        now,
        reengagement: work.reengagement,
      });
      if (applied.deliver) outcome.deliveries.push(applied.deliver);
      if (!applied.matched && row.attempts + 1 < STATUS_MAX_ATTEMPTS) {
        waiting.push(row);
        continue;
      }
    } else if (event.kind === 'identity_changed') {
      await applyIdentityChange(query, agentId, channel, event);
    } else if (event.kind === 'echo') {
      await applyEcho(query, agentId, channel, event, { now, inactivityMs: settings.inactivityMs });
    } else {
      await applyContact(query, agentId, channel, event);
    }
    done.push(row.id);
  }
  const matched = await applyStatusBatch(query, agentId, channel, plain, settings.now());
  for (const status of plain) {
    if (matched.has(status.rowId) || status.attempts + 1 >= STATUS_MAX_ATTEMPTS) done.push(status.rowId);
    else waiting.push({ id: status.rowId, attempts: status.attempts });
  }
  outcome.deliveries = [...new Set(outcome.deliveries)];
  return { outcome, done, waiting };
}

/** The streams' outcomes as one: each conversation's turn once, each delivery once. */
function mergeOutcomes(outcomes: InboundOutcome[]): InboundOutcome {
  const turns = new Map<string, { conversationId: string; channel: string }>();
  for (const outcome of outcomes) for (const turn of outcome.turns) turns.set(turn.conversationId, turn);
  return { turns: [...turns.values()], deliveries: [...new Set(outcomes.flatMap((o) => o.deliveries))] };
}

/**
 * Once per batch and last, in one round trip: the events done, the channels' messages counted (every counted
 * message's event is among them) and the jobs the outcome calls for.
 */
async function finishBatch(
  query: SqlRunner,
  handled: string[],
  tallies: (MessageTally & { agentId: string; channel: string })[],
  jobs: Statement | undefined,
): Promise<void> {
  const processed =
    handled.length > 0
      ? {
          ctes: `changed as (${PROCESSED_EVENTS_SQL}), ${channelCountsCte(2)}`,
          params: [
            handled,
            tallies.map((t) => t.agentId),
            tallies.map((t) => t.channel),
            tallies.map((t) => t.count),
            tallies.map((t) => t.at),
          ],
        }
      : undefined;
  const merged = jobs && processed && withJobInsert(jobs, processed);
  if (merged) {
    await query(merged.sql, merged.params);
  } else {
    if (processed) await query(`with ${processed.ctes} select 1`, processed.params);
    if (jobs) await query(jobs.sql, jobs.params);
  }
}

/**
 * Marks handled events processed ($1: their ids), each found by its primary key. The ids alone: with the streams'
 * columns as `= any(…)` the planner took the pending index by agent only and walked every pending event of the
 * agent (thousands in a burst) for each batch.
 */
export const PROCESSED_EVENTS_SQL = `update inbound_events set processed = true, processed_at = now()
  where id = any($1) and not processed`;

/** Gives statuses still waiting for their message their next try (one statement). */
async function scheduleRetries(query: SqlRunner, waiting: { id: string; attempts: number }[], now: Date) {
  if (waiting.length === 0) return;
  await query(
    `update inbound_events e set attempts = e.attempts + 1, retry_at = w.at
     from jsonb_to_recordset($1::jsonb) as w(id text, at timestamptz) where e.id = w.id`,
    [
      JSON.stringify(
        waiting.map((row) => ({
          id: row.id,
          at: new Date(now.getTime() + statusRetryDelayMs(row.attempts + 1)).toISOString(),
        })),
      ),
    ],
  );
}

/** When the earliest event of a stream still waiting for a retry is due; undefined when none waits. */
export async function nextRetry(
  query: SqlRunner,
  stream: { agentId: string; channel: string; stream: string },
): Promise<Date | undefined> {
  const rows = await query<{ at: Date | null }>(
    `select min(retry_at) as at from inbound_events
     where agent_id = $1 and channel = $2 and stream = $3 and not processed and retry_at is not null`,
    [stream.agentId, stream.channel, stream.stream],
  );
  return rows[0]?.at ? new Date(rows[0].at) : undefined;
}

/**
 * Records a user message (or an edit); returns the conversation to run a turn for, if any, and on a window
 * channel the conversations whose held replies the message released.
 */
async function applyMessage(
  query: SqlRunner,
  agentId: string,
  channel: string,
  event: InboundMessageEvent,
  now: Date,
  settings: InboundSettings,
  tally: MessageTally,
): Promise<{ turn?: string; deliveries: string[] }> {
  if (event.editOf) {
    await query(
      `update messages set content = $4, edited_at = $5, updated_at = $5
       where agent_id = $1 and channel = $2 and provider_message_id = $3 and direction = 'inbound'`,
      [agentId, channel, event.editOf, event.text, now],
    );
    return { deliveries: [] };
  }
  const userIdentifier = event.sender.userIdentifier ?? `${channel}:${event.sender.platformUserId}`;
  const identity = await resolveIdentity(query, agentId, channel, event, now, { userIdentifier });
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
      userIdentifier,
      now,
      inactivityMs: settings.inactivityMs,
      active: identity.active,
    }));
  const messageId = await insertUserMessage(query, { agentId, channel, conversation, event, now, tally });
  const deliveries =
    channel === WINDOW_CHANNEL
      ? await reopenWindow(query, identity, {
          agentId,
          channel,
          now,
          ...(event.sentAt ? { sentAt: event.sentAt } : {}),
        })
      : [];
  return { ...(messageId && !event.noReply ? { turn: conversation.id } : {}), deliveries };
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
    /** Counted here for the analytics, which the caller then bumps once; without it the row is bumped now. */
    tally?: MessageTally;
  },
): Promise<string | undefined> {
  const { agentId, channel, conversation, event, now } = input;
  const recipient = { platformUserId: event.sender.platformUserId, chatId: event.sender.chatId };
  const metadata = {
    ...event.metadata,
    platform_user_id: `${channel}:${event.sender.platformUserId}`,
    chat_id: event.sender.chatId,
    ...(event.sender.username ? { username: event.sender.username } : {}),
  };
  const messageId = newId('msg');
  // The message, the conversation following it and its event: one statement, the last two only when it is new.
  const inserted = await publishEventsIf(
    query,
    {
      sql: `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, provider_message_id,
                                  status, attachments, recipient, metadata, answered_at, created_at, updated_at)
            values ($1, $2, $3, 'user', $4, $5, 'inbound', $6, 'received', $7::jsonb, $8::jsonb, $10::jsonb,
                    case when $11 then $9::timestamptz end, $9, $9)
            on conflict do nothing returning id`,
      then: `followed as (
               update conversations set channel = $5, channel_metadata = $12::jsonb, channel_history = $13::jsonb,
                      last_activity_at = $9, updated_at = $9
               where id = $2 and exists (select 1 from changed))`,
      params: [
        messageId,
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
        JSON.stringify(metadata),
        JSON.stringify(extendHistory(conversation.channel_history, channel, 1, now)),
      ],
    },
    [{ agentId, type: 'message.received', conversationId: conversation.id, messageId, data: { channel } }],
  );
  if (inserted === 0) return undefined;
  if (input.tally) {
    input.tally.count++;
    if (now > input.tally.at) input.tally.at = now;
  } else {
    await countChannelMessages(query, agentId, channel, 1, now);
  }
  return messageId;
}

async function applyContact(query: SqlRunner, agentId: string, channel: string, event: InboundContactEvent) {
  await markBlocked(query, agentId, channel, event.platformUserId, event.blocked);
}
