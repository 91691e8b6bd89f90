import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { InboundMailError } from '../channels/email/inbound-mail-error.ts';
import type { InboundEvent, RawRequest } from '../channels/types.ts';
import { isId } from '../ids.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { rawBody } from '../http/body.ts';
import { ApiError, notFound, unauthorized } from '../http/errors.ts';
import { webhookEvents } from '../metrics/metrics.ts';
import { permanentDataError, recordRejectedWebhook } from './rejected-webhooks.ts';
import type { Sender } from './senders.ts';
import { storeVerified } from './verified-delivery.ts';
import { whatsappAppTargets, whatsappHandshake } from './whatsapp-app-webhook.ts';

/** Where every provider webhook lands (raw bodies: verified on bytes, never parsed as API JSON). */
export const WEBHOOK_PREFIX = '/api/v1/channels/webhooks/';
export const WEBHOOK_PATH = `${WEBHOOK_PREFIX}:channel/:agentId`;
/** Delivery-status callbacks on their own URL (Twilio's per-message StatusCallback); verified and parsed alike. */
export const STATUS_PATH = `${WEBHOOK_PATH}/status`;
/** One Meta app's callback for all its numbers: each change goes to the agent owning its phone_number_id. */
export const WHATSAPP_APP_PATH = `${WEBHOOK_PREFIX}whatsapp`;

/** The public URL a provider posts `channel` updates for `agentId` to. */
export const webhookUrl = (publicUrl: string, channel: string, agentId: string) =>
  `${publicUrl}${WEBHOOK_PREFIX}${channel}/${agentId}`;

/** The public URL a provider posts `channel` delivery statuses for `agentId` to (Twilio's StatusCallback). */
export const statusCallbackUrl = (publicUrl: string, channel: string, agentId: string) =>
  `${webhookUrl(publicUrl, channel, agentId)}/status`;

/** A verified delivery for one agent's channel account, ready to record. */
export type WebhookTarget = { agentId: string; channel: string; sender: Sender };

/** A webhook request as adapters see it: the exact body bytes for signature checks. */
export const requestOf = async (c: Context<AppEnv>, method: string): Promise<RawRequest> => ({
  method,
  url: c.req.url,
  headers: c.req.raw.headers,
  body: method === 'POST' ? await rawBody(c) : new Uint8Array(),
});

/** Keeps a verified delivery that can never be stored (raw bytes and why) and counts it as unstorable. */
async function recordUnstorable(
  deps: AppDeps,
  request: RawRequest,
  target: WebhookTarget,
  reason: string,
  events: number,
): Promise<void> {
  const { channel, agentId } = target;
  await recordRejectedWebhook(deps.database.db, { agentId, channel, body: request.body, reason });
  deps.logger.warn({ channel, agentId, reason }, 'webhook update can never be stored; recorded as rejected');
  webhookEvents.inc({ channel, outcome: 'unstorable' }, events);
}

/** How a verified request becomes events for one target (default: the adapter's `parse`). */
export type WebhookParser = (sender: Sender, request: RawRequest) => InboundEvent[];
const parseWithAdapter: WebhookParser = ({ adapter, ctx }, request) => adapter.parse?.(request, ctx) ?? [];

/** Parses a verified request for each target, records every event durably, then acknowledges. */
export async function recordWebhook(
  deps: AppDeps,
  request: RawRequest,
  targets: WebhookTarget[],
  parse: WebhookParser = parseWithAdapter,
) {
  const parsed: { target: WebhookTarget; events: InboundEvent[] }[] = [];
  const total = { accepted: 0, duplicates: 0, rejected: 0 };
  for (const target of targets) {
    try {
      parsed.push({ target, events: parse(target.sender, request) });
    } catch (error) {
      if (error instanceof InboundMailError) throw new ApiError(error.status, error.message);
      // Signed by the provider yet unreadable: a redelivery would be just as unreadable. Keep the bytes, stop retries.
      await recordUnstorable(deps, request, target, 'unparseable', 1);
      total.rejected += 1;
    }
  }
  // Nothing to record (no target, or only ignored content): answer at once, engine or not.
  if (parsed.every(({ events }) => events.length === 0)) return total;
  const { engine } = deps;
  if (!engine) throw new ApiError(503, 'Not accepting webhooks yet; retry shortly');
  const outcomes = await Promise.allSettled(
    parsed.map(({ target, events }) => engine.ingestor.ingest(target, events)),
  );
  let transient: unknown;
  for (const [i, outcome] of outcomes.entries()) {
    const { target, events } = parsed[i] as (typeof parsed)[number];
    const { channel } = target;
    if (outcome.status === 'fulfilled') {
      total.accepted += outcome.value.accepted;
      total.duplicates += outcome.value.duplicates;
      webhookEvents.inc({ channel, outcome: 'accepted' }, outcome.value.accepted);
      webhookEvents.inc({ channel, outcome: 'duplicate' }, outcome.value.duplicates);
      continue;
    }
    const error = outcome.reason as unknown;
    if ((error as { code?: string }).code === '23503') throw notFound('Agent');
    const reason = permanentDataError(error);
    if (!reason) {
      transient ??= error;
      continue;
    }
    // Redelivery would fail the same way forever: keep the raw bytes, stop the provider's retries.
    try {
      await recordUnstorable(deps, request, target, reason, events.length);
    } catch (recordError) {
      transient ??= recordError;
      continue;
    }
    total.rejected += events.length;
  }
  if (transient) {
    for (const { target } of parsed) webhookEvents.inc({ channel: target.channel, outcome: 'failed' });
    deps.logger.error({ err: transient }, 'webhook ingest failed; provider will redeliver');
    throw new ApiError(503, 'Could not record the update; retry shortly', undefined, { 'Retry-After': '5' });
  }
  for (const { target, events } of parsed) {
    const { adapter, ctx } = target.sender;
    if (!adapter.acknowledge || events.length === 0) continue;
    // After the commit, off the response path: the provider gets its 200 without waiting on this.
    adapter.acknowledge(events, ctx).catch((err: unknown) => {
      ctx.logger.warn(
        { err, channel: target.channel, agentId: target.agentId },
        'webhook acknowledgement failed',
      );
    });
  }
  return total;
}

export const JSON_TYPE = 'application/json';

/** What a received webhook is answered with (JSON unless `contentType` says otherwise). */
export type WebhookReply = { status: number; body: string; contentType?: string };

/**
 * Every provider webhook on `/:channel/:agentId` (and `/status`): verify raw bytes, parse, record durably, then
 * 200. A database failure that retrying can fix throws a 503 (the provider redelivers); an update that can never
 * be stored is recorded as rejected with its raw bytes and answered 200. Shared by the route and the fast lane
 * (webhook-fast-lane.ts), so both answer alike; errors are thrown as ApiError.
 */
export async function receiveWebhook(
  deps: AppDeps,
  channel: string,
  agentId: string,
  request: RawRequest,
): Promise<WebhookReply> {
  const target = await webhookTarget(deps, channel, agentId);
  const verdict = await target.sender.adapter.verify?.(request, target.sender.ctx);
  if (verdict?.ok === 'handshake') return { status: verdict.status, body: verdict.body, contentType: '' };
  if (!verdict?.ok) {
    webhookEvents.inc({ channel, outcome: 'rejected' });
    throw unauthorized('Webhook signature is missing or invalid');
  }
  const outcome = await storeVerified(verdict, deps.logger, () => recordWebhook(deps, request, [target]));
  const ack = target.sender.adapter.webhookAck;
  if (ack) return { status: 200, body: ack.body, contentType: ack.contentType };
  return { status: 200, body: JSON.stringify({ success: true, ...outcome }), contentType: JSON_TYPE };
}

/** The enabled channel account a webhook URL names, or 404. */
async function webhookTarget(deps: AppDeps, channel: string, agentId: string): Promise<WebhookTarget> {
  if (!isId('agent', agentId) || !deps.senders) throw notFound('Channel');
  const sender = await deps.senders(agentId, channel);
  if (!sender?.adapter.verify || !sender.adapter.parse || !sender.ctx.account.enabled) {
    throw notFound('Channel');
  }
  return { agentId, channel, sender };
}

/** Registers the provider webhook routes (see receiveWebhook). */
export function registerWebhookRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const params = (c: Context<AppEnv>) => c.req.param() as { channel: string; agentId: string };

  // Provider handshakes (Meta's subscription check): answered by the adapter's verify, nothing else on GET.
  app.get(WEBHOOK_PATH, async (c) => {
    const { channel, agentId } = params(c);
    const { sender } = await webhookTarget(deps, channel, agentId);
    const verdict = await sender.adapter.verify?.(await requestOf(c, 'GET'), sender.ctx);
    if (verdict?.ok !== 'handshake') throw notFound('Channel');
    return c.body(verdict.body, verdict.status as 200, { 'content-type': 'text/plain' });
  });

  const receive = async (c: Context<AppEnv>) => {
    const { channel, agentId } = params(c);
    const reply = await receiveWebhook(deps, channel, agentId, await requestOf(c, 'POST'));
    const headers = reply.contentType ? { 'content-type': reply.contentType } : undefined;
    return c.body(reply.body, reply.status as 200, headers);
  };
  app.post(WEBHOOK_PATH, receive);
  app.post(STATUS_PATH, receive);

  app.get(WHATSAPP_APP_PATH, async (c) => {
    const { status, body } = await whatsappHandshake(deps, await requestOf(c, 'GET'));
    return c.body(body, status as 200, { 'content-type': 'text/plain' });
  });

  app.post(WHATSAPP_APP_PATH, async (c) => {
    const request = await requestOf(c, 'POST');
    const targets = await whatsappAppTargets(deps, request);
    return c.json({ success: true, ...(await recordWebhook(deps, request, targets)) }, 200);
  });
}
