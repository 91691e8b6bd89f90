import type { OpenAPIHono } from '@hono/zod-openapi';
import { verifyInboundSecret } from '../channels/email/inbound-secret.ts';
import { isId } from '../ids.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { rawBody } from '../http/body.ts';
import { ApiError, badRequest, notFound, unauthorized } from '../http/errors.ts';
import { WEBHOOK_PREFIX } from './webhook-route.ts';

/** The raw MIME route: any MTA (a Postfix pipe, a mail worker) posts `message/rfc822` here. */
export const MAIL_WEBHOOK_PREFIX = `${WEBHOOK_PREFIX}email/`;
/**
 * `POST /api/v1/channels/webhooks/email/{agentId}`: checks the channel's inbound secret in constant time
 * (401 and nothing stored otherwise), then records the raw mail durably and answers once it is committed.
 * Parsing and sender authentication run afterwards in the engine's mail job.
 */
export function registerMailWebhookRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.post(`${MAIL_WEBHOOK_PREFIX}:agentId`, async (c) => {
    const { agentId } = c.req.param();
    const { engine, senders } = deps;
    if (!isId('agent', agentId) || !senders) throw notFound('Channel');
    const target = await senders(agentId, 'email');
    if (!target?.ctx.account.enabled) throw notFound('Channel');
    // Credentials travel in headers: check them before buffering up to EMAIL_MAX_BYTES.
    const request = { method: 'POST', url: c.req.url, headers: c.req.raw.headers, body: new Uint8Array() };
    if (!(await verifyInboundSecret(request, target.ctx)).ok) {
      throw unauthorized('Inbound mail credentials are missing or invalid');
    }
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'message/rfc822') {
      throw new ApiError(415, `Unsupported Content-Type "${mediaType || 'none'}"; send message/rfc822`);
    }
    const raw = Buffer.from(await rawBody(c));
    if (raw.byteLength === 0) throw badRequest('Invalid body: the message is empty');
    if (!engine) throw new ApiError(503, 'Not accepting mail yet; retry shortly');
    try {
      const { duplicate } = await engine.ingestRawMail({ agentId, raw, source: 'webhook' });
      return c.json({ success: true, duplicate }, 200);
    } catch (error) {
      if ((error as { code?: string }).code === '23503') throw notFound('Agent');
      deps.logger.error({ err: error, agentId }, 'mail ingest failed; the sender should retry');
      throw new ApiError(503, 'Could not record the mail; retry shortly', undefined, { 'Retry-After': '5' });
    }
  });
}
