import type { SqlRunner } from '../db/client.ts';
import type { Interval } from './range.ts';

/** The SQL behind the agent analytics route. Every figure is computed by the database; buckets are UTC. */

export type Scope = { agentId: string; from: Date; to: Date; interval: Interval };

/** Statuses an outbound message can have (schema-conversations.ts). */
export const OUTBOUND_STATUSES = ['queued', 'held', 'sent', 'delivered', 'read', 'played', 'failed'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/** Failure reasons listed per channel, most frequent first. */
export const TOP_FAILURE_REASONS = 5;

const params = (s: Scope) => [s.agentId, s.from, s.to, s.interval];
/** The agent's messages created in [from, to), with their UTC bucket. */
const MESSAGES_IN_RANGE = `messages where agent_id = $1 and created_at >= $2 and created_at < $3`;
const bucketOf = (column: string) => `date_trunc($4, ${column}, 'UTC')`;

// A `grouping sets (…, ())` query also returns the grand total: the row whose bucket (and channel) is null.

export type MessageCountRow = {
  bucket: Date | null;
  channel: string | null;
  inbound: number;
  outbound: number;
};

/** Inbound and outbound messages per bucket and channel, plus the total. */
export function countMessages(query: SqlRunner, scope: Scope): Promise<MessageCountRow[]> {
  return query<MessageCountRow>(
    `select bucket, channel,
            count(*) filter (where direction = 'inbound')::int as inbound,
            count(*) filter (where direction = 'outbound')::int as outbound
     from (select ${bucketOf('created_at')} as bucket, channel, direction from ${MESSAGES_IN_RANGE}) m
     group by grouping sets ((bucket, channel), ())
     order by bucket nulls last, channel`,
    params(scope),
  );
}

export type ConversationCountRow = {
  bucket: Date | null;
  channel: string | null;
  active: number;
  handed_off: number;
};

/**
 * Conversations per bucket and channel: `active` had a message there; `handed_off` had an operator's message
 * there (role `human`) or started its current handoff then. Rows per bucket (channel null) and the total count
 * each conversation once, whatever channels it used.
 */
export function countConversations(query: SqlRunner, scope: Scope): Promise<ConversationCountRow[]> {
  return query<ConversationCountRow>(
    `select bucket, channel,
            count(distinct conversation_id)::int as active,
            count(distinct conversation_id) filter (where by_human)::int as handed_off
     from (select ${bucketOf('created_at')} as bucket, channel, conversation_id, role = 'human' as by_human
           from ${MESSAGES_IN_RANGE}
           union all
           select ${bucketOf('handoff_at')}, coalesce(channel, 'website'), id, true
           from conversations where agent_id = $1 and handoff_at >= $2 and handoff_at < $3) a
     group by grouping sets ((bucket, channel), (bucket), ())
     order by bucket nulls last, channel`,
    params(scope),
  );
}

export type LatencyRow = {
  bucket: Date | null;
  channel: string | null;
  waits: number;
  answered: number;
  p50_ms: number | null;
  p95_ms: number | null;
};

/**
 * Reply latency. A customer's wait starts at an inbound message whose previous message in the conversation
 * (by `seq`) is not inbound (or that opens it) and ends when the first outbound message after it was sent
 * (`sent_at`), whoever wrote it (agent or operator). A wait whose reply is not sent (queued, held, failed, or
 * none yet) counts in `waits` but not in `answered` or the percentiles. Bucketed by the wait's start; rows per
 * bucket, per channel (the inbound message's) and the total, percentiles rounded to whole milliseconds.
 */
export function measureReplyLatency(query: SqlRunner, scope: Scope): Promise<LatencyRow[]> {
  return query<LatencyRow>(
    `select bucket, channel, count(*)::int as waits, count(latency_ms)::int as answered,
            round(percentile_cont(0.5) within group (order by latency_ms))::float8 as p50_ms,
            round(percentile_cont(0.95) within group (order by latency_ms))::float8 as p95_ms
     from (select ${bucketOf('i.created_at')} as bucket, i.channel,
                  -- greatest() skips nulls: an unsent reply must stay null, not become 0.
                  case when reply.sent_at is not null
                       then greatest(0, extract(epoch from reply.sent_at - i.created_at) * 1000)::float8 end
                    as latency_ms
           from messages i
           left join lateral (select p.direction from messages p
                              where p.conversation_id = i.conversation_id and p.seq < i.seq
                              order by p.seq desc limit 1) previous on true
           left join lateral (select o.sent_at from messages o
                              where o.conversation_id = i.conversation_id and o.seq > i.seq
                                and o.direction = 'outbound'
                              order by o.seq limit 1) reply on true
           where i.agent_id = $1 and i.direction = 'inbound' and i.created_at >= $2 and i.created_at < $3
             and previous.direction is distinct from 'inbound') w
     group by grouping sets ((bucket), (channel), ())
     order by bucket nulls last, channel nulls last`,
    params(scope),
  );
}

export type DeliveryRow = { channel: string; status: string; count: number };

/** Outbound messages created in the range, by channel and current status. */
export function countDeliveries(query: SqlRunner, scope: Scope): Promise<DeliveryRow[]> {
  return query<DeliveryRow>(
    `select channel, status, count(*)::int as count from ${MESSAGES_IN_RANGE} and direction = 'outbound'
     group by channel, status order by channel, status`,
    params(scope).slice(0, 3),
  );
}

export type FailureReasonRow = { channel: string; code: string; count: number; last_message: string | null };

/** The most frequent failure codes per channel (no code reads `unknown`), with the latest one's message. */
export function topFailureReasons(query: SqlRunner, scope: Scope): Promise<FailureReasonRow[]> {
  const failed = `direction = 'outbound' and status = 'failed'`;
  return query<FailureReasonRow>(
    `select r.channel, r.code, r.count, latest.message as last_message
     from (select channel, coalesce(error_code, 'unknown') as code, count(*)::int as count,
                  row_number() over (partition by channel order by count(*) desc, coalesce(error_code, 'unknown'))
                    as rank
           from ${MESSAGES_IN_RANGE} and ${failed} group by 1, 2) r
     left join lateral (select left(m.error_message, 300) as message from messages m
                        where m.agent_id = $1 and m.created_at >= $2 and m.created_at < $3
                          and m.direction = 'outbound' and m.status = 'failed'
                          and m.channel = r.channel and coalesce(m.error_code, 'unknown') = r.code
                        order by m.created_at desc limit 1) latest on true
     where r.rank <= $4
     order by r.channel, r.rank`,
    [...params(scope).slice(0, 3), TOP_FAILURE_REASONS],
  );
}

export type CurrentRow = { channel: string; open: number; in_handoff: number };

/** Conversations open right now (whatever the range), and how many of them a human owns, per channel. */
export function countOpenNow(query: SqlRunner, agentId: string): Promise<CurrentRow[]> {
  return query<CurrentRow>(
    `select coalesce(channel, 'website') as channel, count(*)::int as open,
            count(*) filter (where handoff_at is not null)::int as in_handoff
     from conversations where agent_id = $1 and status = 'active' group by 1 order by 1`,
    [agentId],
  );
}
