import type { SqlRunner } from '../db/client.ts';

/** The spec's Analytics block: counts per channel plus `last_<channel>_message` timestamps. */
export type ChannelAnalytics = {
  total_messages_by_channel: Record<string, number>;
  [lastMessage: `last_${string}_message`]: string;
};

/** Reads an agent's analytics (totals plus counts not folded yet, in one statement); channels with no messages are absent. */
export async function readChannelAnalytics(query: SqlRunner, agentId: string): Promise<ChannelAnalytics> {
  const rows = await query<{
    channel: string;
    message_count: string | number;
    last_message_at: Date | string | null;
  }>(
    `select channel, sum(message_count) as message_count, max(last_message_at) as last_message_at from (
       select channel, message_count, last_message_at from channel_analytics where agent_id = $1
       union all
       select channel, message_count, last_message_at from channel_analytics_deltas where agent_id = $1) counts
     group by channel order by channel`,
    [agentId],
  );
  const analytics: ChannelAnalytics = { total_messages_by_channel: {} };
  for (const row of rows) {
    analytics.total_messages_by_channel[row.channel] = Number(row.message_count);
    if (row.last_message_at) {
      analytics[`last_${row.channel}_message`] = new Date(row.last_message_at).toISOString();
    }
  }
  return analytics;
}

const APPEND_COUNT =
  'insert into channel_analytics_deltas (agent_id, channel, message_count, last_message_at)';

/**
 * Counts `count` messages on a channel at `at`, in the caller's transaction: an appended row, so concurrent
 * transactions of one account never queue behind one counter row (held until each commit).
 */
export async function countChannelMessages(
  query: SqlRunner,
  agentId: string,
  channel: string,
  count: number,
  at: Date,
): Promise<void> {
  await query(`${APPEND_COUNT} values ($1, $2, $3, $4)`, [agentId, channel, count, at]);
}

/**
 * The CTE `counted` that counts messages as `countChannelMessages` does, for a statement of the caller's: its four
 * parameters from `first` are the agent id, the channel, the count (nothing is appended for 0) and the time; `when`
 * is a further SQL condition (nothing is appended unless it holds).
 */
export function channelCountCte(first: number, when = 'true'): string {
  const [agent, channel, count, at] = [0, 1, 2, 3].map((i) => `$${first + i}`);
  return `counted as (${APPEND_COUNT} select ${agent}, ${channel}, ${count}::int, ${at}::timestamptz
                     where ${count}::int > 0 and ${when})`;
}

/**
 * The CTE `counted` for several channels at once: its four parameters from `first` are arrays of agent ids,
 * channels, counts and times, one entry per channel (nothing is appended for a count of 0).
 */
export function channelCountsCte(first: number): string {
  const [agents, channels, counts, ats] = [0, 1, 2, 3].map((i) => `$${first + i}`);
  return `counted as (${APPEND_COUNT}
            select agent_id, channel, n, at
            from unnest(${agents}::text[], ${channels}::text[], ${counts}::int[], ${ats}::timestamptz[])
              as t(agent_id, channel, n, at)
            where n > 0)`;
}

/** Appended counts folded per pass (housekeeping runs again soon for the rest). */
const FOLD_LIMIT = 10_000;

/** Folds appended counts into the per-channel totals, atomically (a reader sees them in one place or the other). */
export async function foldChannelAnalytics(query: SqlRunner): Promise<void> {
  await query(
    `with moved as (
       delete from channel_analytics_deltas
       where id in (select id from channel_analytics_deltas order by id limit ${FOLD_LIMIT})
       returning agent_id, channel, message_count, last_message_at)
     insert into channel_analytics (agent_id, channel, message_count, last_message_at)
     select agent_id, channel, sum(message_count), max(last_message_at) from moved group by agent_id, channel
     on conflict (agent_id, channel) do update set
       message_count = channel_analytics.message_count + excluded.message_count,
       last_message_at = greatest(channel_analytics.last_message_at, excluded.last_message_at)`,
  );
}
