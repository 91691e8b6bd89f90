import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { InboundMailError } from '../channels/email/inbound-mail-error.ts';
import { verifyInboundSecret } from '../channels/email/inbound-secret.ts';
import type { InboundMail, ProviderMailVerdict, RawRequest } from '../channels/types.ts';
import { isId } from '../ids.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { rawBody } from '../http/body.ts';
import { ApiError, badRequest, notFound, unauthorized } from '../http/errors.ts';
import { webhookEvents } from '../metrics/metrics.ts';
import type { Sender } from './senders.ts';
import { storeVerified } from './verified-delivery.ts';
import { recordWebhook, requestOf, WEBHOOK_PREFIX } from './webhook-route.ts';

/** The raw MIME route: any MTA (a Postfix pipe, a mail worker) posts `message/rfc822` here. */
export const MAIL_WEBHOOK_PREFIX = `${WEBHOOK_PREFIX}email/`;
/** Delivery events of the agent's email provider: `…/webhooks/email/{agentId}/events`. */
export const MAIL_EVENTS_SUFFIX = '/events';
/** Most mails one provider post may carry (each is stored as its own raw mail). */
const MAX_MAILS_PER_POST = 50;

const unavailable = () =>
  new ApiError(503, 'Could not record the mail; retry shortly', undefined, { 'Retry-After': '5' });

const word = (value: unknown) =>
  typeof value === 'string' ? value.replace(/[^\x20-\x7e]/g, '').slice(0, 100) : undefined;

/** A provider verdict as stored (jsonb): known fields only, printable ASCII, bounded. */
function storableVerdict(verdict: ProviderMailVerdict | undefined, source: string): ProviderMailVerdict {
  const picked: ProviderMailVerdict = { provider: word(verdict?.provider) ?? source };
  for (const key of ['spf', 'dkim', 'dmarc', 'dmarc_policy', 'mail_id'] as const) {
    const value = word(verdict?.[key]);
    if (value) picked[key] = value;
  }
  const domains = (verdict?.dkim_domains ?? []).map(word).filter((d): d is string => Boolean(d));
  if (domains.length > 0) picked.dkim_domains = domains.slice(0, 20);
  return picked;
}

/** The agent's enabled email channel, or 404. */
async function emailTarget(deps: AppDeps, agentId: string): Promise<Sender> {
  if (!isId('agent', agentId) || !deps.senders) throw notFound('Channel');
  const target = await deps.senders(agentId, 'email');
  if (!target?.ctx.account.enabled) throw notFound('Channel');
  return target;
}

/** Records mails durably (one raw mail each); 503 (the provider retries) when they cannot be stored. */
async function storeMails(deps: AppDeps, agentId: string, source: string, mails: InboundMail[]) {
  const { engine } = deps;
  if (!engine) throw new ApiError(503, 'Not accepting mail yet; retry shortly');
  try {
    const results = await Promise.all(
      mails.map((mail) =>
        engine.ingestRawMail({
          agentId,
          raw: mail.raw,
          source,
          ...(mail.clientIp ? { clientIp: mail.clientIp } : {}),
          ...(mail.dedupeKey ? { dedupeKey: mail.dedupeKey } : {}),
          ...(mail.verdict || mail.composed
            ? { providerVerdict: { ...storableVerdict(mail.verdict, source), composed: mail.composed } }
            : {}),
        }),
      ),
    );
    return results.every((result) => result.duplicate);
  } catch (error) {
    if ((error as { code?: string }).code === '23503') throw notFound('Agent');
    deps.logger.error({ err: error, agentId }, 'mail ingest failed; the sender should retry');
    throw unavailable();
  }
}

/** A provider's own inbound post (SendGrid Parse, Mailgun route, SNS): its adapter verifies and parses it. */
async function providerPost(deps: AppDeps, c: Context<AppEnv>, agentId: string, target: Sender) {
  const { adapter, ctx } = target;
  if (!adapter.verifyInboundMail || !adapter.parseInboundMail) {
    const headersOnly = {
      method: 'POST',
      url: c.req.url,
      headers: c.req.raw.headers,
      body: new Uint8Array(),
    };
    if (!(await verifyInboundSecret(headersOnly, ctx)).ok) {
      throw unauthorized('Inbound mail credentials are missing or invalid');
    }
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    throw new ApiError(415, `Unsupported Content-Type "${mediaType || 'none'}"; send message/rfc822`);
  }
  // Before verifying: a verification may claim a one-time token, which a retry could then not use again.
  if (!deps.engine) throw new ApiError(503, 'Not accepting mail yet; retry shortly');
  const request = await requestOf(c, 'POST');
  const verdict = await adapter.verifyInboundMail(request, ctx);
  if (verdict.ok === 'handshake') return c.body(verdict.body, verdict.status as 200);
  if (!verdict.ok) {
    webhookEvents.inc({ channel: 'email', outcome: 'rejected' });
    throw unauthorized('Inbound mail credentials or signature are missing or invalid');
  }
  const parseMails = adapter.parseInboundMail.bind(adapter);
  return storeVerified(verdict, deps.logger, async () => {
    let mails: InboundMail[];
    try {
      mails = await parseMails(request, ctx);
    } catch (error) {
      if (error instanceof InboundMailError) throw new ApiError(error.status, error.message);
      // Not a malformed post we can name: keep the provider retrying rather than lose the mail.
      deps.logger.error({ err: error, agentId }, 'provider inbound mail could not be read');
      throw unavailable();
    }
    if (mails.length > MAX_MAILS_PER_POST)
      throw badRequest(`Too many mails in one post (max ${MAX_MAILS_PER_POST})`);
    if (mails.length === 0) return c.json({ success: true, duplicate: false, mails: 0 }, 200);
    const duplicate = await storeMails(deps, agentId, ctx.account.provider, mails);
    return c.json({ success: true, duplicate, mails: mails.length }, 200);
  });
}

/**
 * `POST /api/v1/channels/webhooks/email/{agentId}`: `message/rfc822` with the channel's inbound secret (any
 * provider; 401 and nothing stored otherwise), or the configured provider's own post (SendGrid Parse, Mailgun
 * route, SES via SNS) verified and parsed by its adapter. Every mail is recorded as raw MIME and the answer
 * comes once it is committed; parsing and sender authentication run afterwards in the engine's mail job.
 */
export function registerMailWebhookRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.post(`${MAIL_WEBHOOK_PREFIX}:agentId`, async (c) => {
    const { agentId } = c.req.param();
    const target = await emailTarget(deps, agentId);
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'message/rfc822') return providerPost(deps, c, agentId, target);
    // Credentials travel in headers: check them before buffering up to EMAIL_MAX_BYTES.
    const request = { method: 'POST', url: c.req.url, headers: c.req.raw.headers, body: new Uint8Array() };
    if (!(await verifyInboundSecret(request, target.ctx)).ok) {
      throw unauthorized('Inbound mail credentials are missing or invalid');
    }
    const raw = Buffer.from(await rawBody(c));
    if (raw.byteLength === 0) throw badRequest('Invalid body: the message is empty');
    const duplicate = await storeMails(deps, agentId, 'webhook', [{ raw, composed: false }]);
    return c.json({ success: true, duplicate }, 200);
  });

  /**
   * `POST …/webhooks/email/{agentId}/events`: the provider's delivery events, through the generic webhook
   * pipeline (verify → parse → record durably → 200; 401 on a bad signature, 503 when it cannot be stored).
   */
  app.post(`${MAIL_WEBHOOK_PREFIX}:agentId${MAIL_EVENTS_SUFFIX}`, async (c) => {
    const { agentId } = c.req.param();
    const sender = await emailTarget(deps, agentId);
    const { adapter, ctx } = sender;
    if (!adapter.verifyMailEvents || !adapter.parseMailEvents) throw notFound('Channel');
    if (!deps.engine) throw new ApiError(503, 'Not accepting webhooks yet; retry shortly');
    const request = await requestOf(c, 'POST');
    const verdict = await adapter.verifyMailEvents(request, ctx);
    if (verdict.ok === 'handshake') return c.body(verdict.body, verdict.status as 200);
    if (!verdict.ok) {
      webhookEvents.inc({ channel: 'email', outcome: 'rejected' });
      throw unauthorized('Webhook signature is missing or invalid');
    }
    const parse = ({ adapter: a, ctx: context }: Sender, req: RawRequest) =>
      a.parseMailEvents?.(req, context) ?? [];
    const outcome = await storeVerified(verdict, deps.logger, () =>
      recordWebhook(deps, request, [{ agentId, channel: 'email', sender }], parse),
    );
    return c.json({ success: true, ...outcome }, 200);
  });
}
