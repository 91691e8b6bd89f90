import type { OpenAPIHono } from '@hono/zod-openapi';
import { isId } from '../ids.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { rawBody } from '../http/body.ts';
import { ApiError, notFound, unauthorized } from '../http/errors.ts';
import { webhookEvents } from '../metrics/metrics.ts';

/** Where every provider webhook lands (raw bodies: verified on bytes, never parsed as API JSON). */
export const WEBHOOK_PREFIX = '/api/v1/channels/webhooks/';
const WEBHOOK_PATH = `${WEBHOOK_PREFIX}:channel/:agentId`;

/** The public URL a provider posts `channel` updates for `agentId` to. */
export const webhookUrl = (publicUrl: string, channel: string, agentId: string) =>
  `${publicUrl}${WEBHOOK_PREFIX}${channel}/${agentId}`;

/** Every provider webhook lands here: verify raw bytes, parse, record durably, then 200. */

export function registerWebhookRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.post(WEBHOOK_PATH, async (c) => {
    const { channel, agentId } = c.req.param();
    const { engine, senders } = deps;
    if (!isId('agent', agentId) || !senders) throw notFound('Channel');
    const target = await senders(agentId, channel);
    if (!target?.adapter.verify || !target.adapter.parse || !target.ctx.account.enabled)
      throw notFound('Channel');
    const request = { method: 'POST', url: c.req.url, headers: c.req.raw.headers, body: await rawBody(c) };
    const verdict = await target.adapter.verify(request, target.ctx);
    if (verdict.ok === 'handshake') return c.body(verdict.body, verdict.status as 200);
    if (!verdict.ok) {
      webhookEvents.inc({ channel, outcome: 'rejected' });
      throw unauthorized('Webhook signature is missing or invalid');
    }
    let events;
    try {
      events = target.adapter.parse(request, target.ctx);
    } catch {
      throw new ApiError(400, 'Webhook body is not a valid update');
    }
    if (!engine) throw new ApiError(503, 'Not accepting webhooks yet; retry shortly');
    try {
      const result = await engine.ingestor.ingest({ agentId, channel }, events);
      webhookEvents.inc({ channel, outcome: 'accepted' }, result.accepted);
      webhookEvents.inc({ channel, outcome: 'duplicate' }, result.duplicates);
      const { acknowledge } = target.adapter;
      if (acknowledge && events.length > 0) {
        // After the commit, off the response path: the provider gets its 200 without waiting on this.
        acknowledge.call(target.adapter, events, target.ctx).catch((err: unknown) => {
          target.ctx.logger.warn({ err, channel, agentId }, 'webhook acknowledgement failed');
        });
      }
      return c.json({ success: true, ...result }, 200);
    } catch (error) {
      if ((error as { code?: string }).code === '23503') throw notFound('Agent');
      webhookEvents.inc({ channel, outcome: 'failed' });
      deps.logger.error({ err: error, channel, agentId }, 'webhook ingest failed; provider will redeliver');
      throw new ApiError(503, 'Could not record the update; retry shortly', undefined, {
        'Retry-After': '5',
      });
    }
  });
}
