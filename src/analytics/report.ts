import type { SqlRunner } from '../db/client.ts';
import {
  countConversations,
  countDeliveries,
  countMessages,
  countOpenNow,
  type LatencyRow,
  measureReplyLatency,
  OUTBOUND_STATUSES,
  type OutboundStatus,
  topFailureReasons,
} from './queries.ts';
import type { AnalyticsRange } from './range.ts';
import type { AgentAnalyticsView } from './schema.ts';

type Delivery = Record<OutboundStatus, number>;

const iso = (at: Date | string) => new Date(at).toISOString();
const noDeliveries = (): Delivery =>
  Object.fromEntries(OUTBOUND_STATUSES.map((status) => [status, 0])) as Delivery;
const latencyOf = (row: LatencyRow | undefined) => ({
  waits: row?.waits ?? 0,
  answered: row?.answered ?? 0,
  p50_ms: row?.p50_ms ?? null,
  p95_ms: row?.p95_ms ?? null,
});

/** Runs the analytics queries for one agent over a resolved range and shapes the response. */
export async function buildAgentAnalytics(
  query: SqlRunner,
  agentId: string,
  range: AnalyticsRange,
): Promise<AgentAnalyticsView> {
  const scope = { agentId, from: range.from, to: range.to, interval: range.interval };
  const [messages, conversations, latency, deliveries, reasons, openNow] = await Promise.all([
    countMessages(query, scope),
    countConversations(query, scope),
    measureReplyLatency(query, scope),
    countDeliveries(query, scope),
    topFailureReasons(query, scope),
    countOpenNow(query, agentId),
  ]);

  const delivery = new Map<string, Delivery>();
  const totalDelivery = noDeliveries();
  for (const row of deliveries) {
    const status = row.status as OutboundStatus;
    if (!OUTBOUND_STATUSES.includes(status)) continue;
    const perChannel = delivery.get(row.channel) ?? noDeliveries();
    perChannel[status] += row.count;
    totalDelivery[status] += row.count;
    delivery.set(row.channel, perChannel);
  }

  const messageTotal = messages.find((row) => row.bucket === null);
  const conversationTotal = conversations.find((row) => row.bucket === null);
  const channels = new Set<string>();
  for (const row of [...messages, ...conversations]) if (row.channel) channels.add(row.channel);
  for (const channel of delivery.keys()) channels.add(channel);

  return {
    from: iso(range.from),
    to: iso(range.to),
    interval: range.interval,
    timezone: 'UTC',
    buckets: range.buckets.map(iso),
    channels: [...channels].sort(),
    messages: messages.flatMap((row) =>
      row.bucket && row.channel
        ? [{ bucket: iso(row.bucket), channel: row.channel, inbound: row.inbound, outbound: row.outbound }]
        : [],
    ),
    reply_latency: latency.flatMap((row) =>
      row.bucket ? [{ bucket: iso(row.bucket), ...latencyOf(row) }] : [],
    ),
    reply_latency_by_channel: latency.flatMap((row) =>
      row.channel ? [{ channel: row.channel, ...latencyOf(row) }] : [],
    ),
    conversations: conversations.flatMap((row) =>
      row.bucket && row.channel
        ? [{ bucket: iso(row.bucket), channel: row.channel, active: row.active, handed_off: row.handed_off }]
        : [],
    ),
    conversations_per_bucket: conversations.flatMap((row) =>
      row.bucket && !row.channel
        ? [{ bucket: iso(row.bucket), active: row.active, handed_off: row.handed_off }]
        : [],
    ),
    delivery: [...delivery.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([channel, counts]) => ({
        channel,
        ...counts,
        total: OUTBOUND_STATUSES.reduce((sum, status) => sum + counts[status], 0),
        failure_reasons: reasons
          .filter((reason) => reason.channel === channel)
          .map(({ code, count, last_message }) => ({ code, count, last_message })),
      })),
    open_now: openNow,
    totals: {
      inbound: messageTotal?.inbound ?? 0,
      outbound: messageTotal?.outbound ?? 0,
      conversations: conversationTotal?.active ?? 0,
      handed_off: conversationTotal?.handed_off ?? 0,
      reply_latency: latencyOf(latency.find((row) => row.bucket === null && row.channel === null)),
      delivery: totalDelivery,
      open_now: openNow.reduce((sum, row) => sum + row.open, 0),
      in_handoff_now: openNow.reduce((sum, row) => sum + row.in_handoff, 0),
    },
  };
}
