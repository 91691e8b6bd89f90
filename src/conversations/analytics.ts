import type { SqlRunner } from '../db/client.ts';

/** The spec's Analytics block: counts per channel plus `last_<channel>_message` timestamps. */
export type ChannelAnalytics = {
  total_messages_by_channel: Record<string, number>;
  [lastMessage: `last_${string}_message`]: string;
};

/** Reads an agent's analytics; channels with no messages are absent. */
export async function readChannelAnalytics(query: SqlRunner, agentId: string): Promise<ChannelAnalytics> {
  const rows = await query<{
    channel: string;
    message_count: string | number;
    last_message_at: Date | string | null;
  }>(
    'select channel, message_count, last_message_at from channel_analytics where agent_id = $1 order by channel',
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

/** Counts `count` messages on a channel at `at`, atomically (no read-modify-write). */
export async function countChannelMessages(
  query: SqlRunner,
  agentId: string,
  channel: string,
  count: number,
  at: Date,
): Promise<void> {
  await query(
    `insert into channel_analytics (agent_id, channel, message_count, last_message_at) values ($1, $2, $3, $4)
     on conflict (agent_id, channel) do update set
       message_count = channel_analytics.message_count + excluded.message_count,
       last_message_at = greatest(channel_analytics.last_message_at, excluded.last_message_at)`,
    [agentId, channel, count, at],
  );
}
