/** The analytics route's response (`GET …/agents/:agentId/analytics`, see README "Agent analytics"). */

export type Interval = 'hour' | 'day' | 'week';

export type Latency = { waits: number; answered: number; p50_ms: number | null; p95_ms: number | null };

export const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'played', 'queued', 'held', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type DeliveryCounts = Record<DeliveryStatus, number>;

export type Analytics = {
  from: string;
  to: string;
  interval: Interval;
  timezone: 'UTC';
  buckets: string[];
  channels: string[];
  messages: { bucket: string; channel: string; inbound: number; outbound: number }[];
  reply_latency: (Latency & { bucket: string })[];
  reply_latency_by_channel: (Latency & { channel: string })[];
  conversations: { bucket: string; channel: string; active: number; handed_off: number }[];
  conversations_per_bucket: { bucket: string; active: number; handed_off: number }[];
  delivery: (DeliveryCounts & {
    channel: string;
    total: number;
    failure_reasons: { code: string; count: number; last_message: string | null }[];
  })[];
  open_now: { channel: string; open: number; in_handoff: number }[];
  totals: {
    inbound: number;
    outbound: number;
    conversations: number;
    handed_off: number;
    reply_latency: Latency;
    delivery: DeliveryCounts;
    open_now: number;
    in_handoff_now: number;
  };
};
