import { z } from '@hono/zod-openapi';
import { timestamp } from '../http/openapi.ts';
import { INTERVALS } from './range.ts';

const count = () => z.number().int();
const ms = () =>
  z.number().nullable().openapi({ description: 'Milliseconds; null without an answered wait' });

const Latency = z.object({
  waits: count().openapi({ description: 'Customer waits started (see README: reply latency)' }),
  answered: count().openapi({ description: 'Waits whose reply was sent' }),
  p50_ms: ms(),
  p95_ms: ms(),
});

const Delivery = z.object({
  queued: count(),
  held: count(),
  sent: count(),
  delivered: count(),
  read: count(),
  played: count(),
  failed: count(),
});

export const AgentAnalytics = z
  .object({
    from: timestamp(),
    to: timestamp(),
    interval: z.enum(INTERVALS),
    timezone: z.literal('UTC'),
    buckets: z.array(timestamp()).openapi({ description: 'Start of every bucket in the range, ascending' }),
    channels: z.array(z.string()).openapi({ description: 'Channels with any data in the range, sorted' }),
    messages: z
      .array(z.object({ bucket: timestamp(), channel: z.string(), inbound: count(), outbound: count() }))
      .openapi({ description: 'Messages per bucket and channel; combinations without any are absent' }),
    reply_latency: z
      .array(Latency.extend({ bucket: timestamp() }))
      .openapi({ description: 'Reply latency per bucket (all channels); buckets without waits are absent' }),
    reply_latency_by_channel: z.array(Latency.extend({ channel: z.string() })),
    conversations: z
      .array(z.object({ bucket: timestamp(), channel: z.string(), active: count(), handed_off: count() }))
      .openapi({ description: 'Active and handed-off conversations per bucket and channel' }),
    conversations_per_bucket: z
      .array(z.object({ bucket: timestamp(), active: count(), handed_off: count() }))
      .openapi({ description: 'The same per bucket over all channels, each conversation counted once' }),
    delivery: z
      .array(
        Delivery.extend({
          channel: z.string(),
          total: count(),
          failure_reasons: z.array(
            z.object({ code: z.string(), count: count(), last_message: z.string().nullable() }),
          ),
        }),
      )
      .openapi({ description: 'Outbound messages created in the range by current status, per channel' }),
    open_now: z
      .array(z.object({ channel: z.string(), open: count(), in_handoff: count() }))
      .openapi({ description: 'Conversations open at the time of the request (not limited to the range)' }),
    totals: z.object({
      inbound: count(),
      outbound: count(),
      conversations: count().openapi({ description: 'Distinct conversations active in the range' }),
      handed_off: count().openapi({ description: 'Distinct conversations handed off in the range' }),
      reply_latency: Latency,
      delivery: Delivery,
      open_now: count(),
      in_handoff_now: count(),
    }),
  })
  .openapi('AgentAnalytics');

export type AgentAnalyticsView = z.infer<typeof AgentAnalytics>;
