import { InboundMailError } from '../email/inbound-mail-error.ts';
import { verifyInboundSecret } from '../email/inbound-secret.ts';
import type {
  AdapterContext,
  EmailWebhookUrls,
  InboundEvent,
  InboundMail,
  ProviderMailVerdict,
  RawRequest,
  VerifyResult,
} from '../types.ts';
import { sesConfigOf } from './client.ts';
import { readSesEvent } from './events.ts';
import { readReceipt, type SesVerdicts } from './receipt.ts';
import {
  confirmSubscription,
  parseSnsMessage,
  type SnsDeps,
  type SnsMessage,
  verifySnsMessage,
} from './sns.ts';

/** How long an answered SubscriptionConfirmation is remembered (SNS redelivers within an hour at most). */
const CONFIRMED_TTL_MS = 7 * 86_400_000;

/** True for a POST that SNS sent (it names its message type in a header). */
export const isSnsRequest = (request: RawRequest): boolean => request.headers.has('x-amz-sns-message-type');

const snsDeps = (ctx: AdapterContext): SnsDeps => ({
  fetch: ctx.fetch,
  now: ctx.now,
  ...(ctx.snsTrustedHosts ? { trustedHosts: ctx.snsTrustedHosts } : {}),
});

/** The request's SNS message, once its topic is allow-listed and its signature verified; else why not. */
export async function verifiedSnsMessage(
  request: RawRequest,
  ctx: AdapterContext,
): Promise<{ ok: true; message: SnsMessage } | { ok: false; reason: string }> {
  const message = parseSnsMessage(request.body);
  if (!message) return { ok: false, reason: 'not an SNS message' };
  const headerType = request.headers.get('x-amz-sns-message-type');
  const headerTopic = request.headers.get('x-amz-sns-topic-arn');
  if (headerType !== message.Type || (headerTopic !== null && headerTopic !== message.TopicArn)) {
    return { ok: false, reason: 'SNS headers do not match the message' };
  }
  const topics = sesConfigOf(ctx).sns_topic_arns ?? [];
  if (!topics.includes(message.TopicArn)) {
    return { ok: false, reason: 'TopicArn is not in ses_config.sns_topic_arns' };
  }
  const verdict = await verifySnsMessage(message, snsDeps(ctx));
  return verdict.ok ? { ok: true, message } : verdict;
}

/**
 * An SNS post to the SES channel (receipt notifications, sending events, subscription messages): it must come
 * from a topic in `ses_config.sns_topic_arns` with a valid SNS signature. A SubscriptionConfirmation is then
 * confirmed once (claimed by its MessageId, shared by every process) by visiting its SubscribeURL, and answered
 * as a handshake, nothing stored; an UnsubscribeConfirmation is answered and never visited.
 */
export async function verifySnsPost(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  if (!isSnsRequest(request)) return { ok: false, reason: 'not an SNS post' };
  const verified = await verifiedSnsMessage(request, ctx);
  if (!verified.ok) return verified;
  const { message } = verified;
  if (message.Type === 'Notification') return { ok: true };
  if (message.Type === 'UnsubscribeConfirmation') {
    ctx.logger.warn({ topicArn: message.TopicArn }, 'SNS unsubscribe confirmation received; not visited');
    return { ok: 'handshake', status: 200, body: 'unsubscribe noted, not confirmed' };
  }
  if (!ctx.claimOnce) return { ok: false, reason: 'no replay store to confirm subscriptions with' };
  if (!(await ctx.claimOnce(`sns-confirm:${message.MessageId}`, CONFIRMED_TTL_MS))) {
    return { ok: 'handshake', status: 200, body: 'subscription already confirmed' };
  }
  const confirmed = await confirmSubscription(message, snsDeps(ctx)).catch(() => false);
  if (!confirmed) {
    // Claimed already, so a redelivery will not retry: ask SNS for a new confirmation (its console or API).
    ctx.logger.error({ topicArn: message.TopicArn }, 'SNS subscription could not be confirmed');
    return { ok: 'handshake', status: 502, body: 'could not confirm the subscription' };
  }
  ctx.logger.info({ topicArn: message.TopicArn }, 'SNS subscription confirmed');
  return { ok: 'handshake', status: 200, body: 'subscription confirmed' };
}

/** The raw MIME route's secret for `message/rfc822` posts, the SNS checks for SNS posts (contract, generic use). */
export async function verifySesRequest(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  return isSnsRequest(request) ? verifySnsPost(request, ctx) : verifyInboundSecret(request, ctx);
}

/** SES verdict words as RFC 8601 results: GRAY (no verdict) → none, PROCESSING_FAILED → temperror. */
const RESULT: Record<string, string> = {
  pass: 'pass',
  fail: 'fail',
  gray: 'none',
  processing_failed: 'temperror',
};
const result = (value: string | undefined) => (value ? (RESULT[value] ?? 'none') : undefined);

function providerVerdict(verdicts: SesVerdicts, mailId: string | undefined): ProviderMailVerdict {
  const spf = result(verdicts.spf);
  const dkim = result(verdicts.dkim);
  const dmarc = result(verdicts.dmarc);
  return {
    provider: 'ses',
    ...(spf ? { spf } : {}),
    ...(dkim ? { dkim } : {}),
    ...(dmarc ? { dmarc } : {}),
    ...(dmarc === 'fail' && verdicts.dmarc_policy ? { dmarc_policy: verdicts.dmarc_policy } : {}),
    ...(mailId ? { mail_id: mailId } : {}),
  };
}

/**
 * A verified SNS receipt notification as the raw mail it carries (the original bytes, re-verified by the shared
 * pipeline; SES's verdicts kept beside them). Other notifications on this URL (SES's setup test message, a
 * sending event) carry no mail; a receipt without content (an S3 action) is refused, naming the field.
 */
export async function parseSesInboundMail(request: RawRequest): Promise<InboundMail[]> {
  const message = parseSnsMessage(request.body);
  if (!message || message.Type !== 'Notification') return [];
  const outcome = readReceipt(message.Message);
  if (outcome.kind === 'other') return [];
  if (outcome.kind === 'invalid') throw new InboundMailError(outcome.reason);
  const { raw, sesMessageId, verdicts } = outcome.mail;
  return [{ raw, composed: false, verdict: providerVerdict(verdicts, sesMessageId) }];
}

/**
 * A verified SNS sending event as engine events: the outbound message's status, matched by our message id (the
 * tag or header we set on send) and SES's MessageId, and for a hard bounce or a complaint the recipients blocked.
 * Events for mail we did not tag, and types we do not act on (Send, Open, DeliveryDelay…), become nothing;
 * a Reject fails the message.
 */
export function parseSesEvents(request: RawRequest): InboundEvent[] {
  const message = parseSnsMessage(request.body);
  if (!message || message.Type !== 'Notification') return [];
  const outcome = readSesEvent(message.Message);
  if (outcome.kind === 'invalid') throw new InboundMailError(outcome.reason);
  if (outcome.kind !== 'event') return [];
  const { event } = outcome;
  const events: InboundEvent[] = [];
  if (event.status) {
    events.push({
      kind: 'status',
      eventId: event.eventKey,
      providerMessageId: event.sesMessageId,
      messageId: event.ourMessageId,
      status: event.status,
      ...(event.at ? { at: event.at } : {}),
      ...(event.error ? { error: event.error } : {}),
    });
  }
  for (const address of event.blockAddresses) {
    events.push({
      kind: 'contact',
      eventId: `${event.eventKey}:${address}`,
      platformUserId: address,
      blocked: true,
    });
  }
  return events;
}

/** What to configure in AWS for this channel (GET …/channels/email/webhook/info → provider_setup). */
export function sesWebhookInfo(ctx: AdapterContext, urls: EmailWebhookUrls): Record<string, unknown> {
  const config = sesConfigOf(ctx);
  return {
    inbound_url: urls.inbound,
    events_url: urls.events,
    region: config.region,
    sns_topic_arns: config.sns_topic_arns ?? [],
    configuration_set_name: config.configuration_set_name ?? null,
    steps: [
      'SES receiving: a receipt rule with an SNS action (encoding Base64) publishing to a topic listed in sns_topic_arns.',
      `Subscribe inbound_url to that topic (protocol HTTPS, raw message delivery off); the subscription is confirmed automatically.`,
      'Sending events: a configuration set (configuration_set_name) with an SNS event destination for Delivery, Bounce and Complaint, its topic listed in sns_topic_arns; subscribe events_url to it.',
      'SNS retries an HTTPS endpoint only 3 times in about a minute: set a delivery policy with longer retries and a dead-letter queue, or use the S3 action for mail over 150 KB.',
    ],
  };
}
