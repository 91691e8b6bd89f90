import { outboundMessageId } from '../email/compose.ts';
import { verifyInboundSecret } from '../email/inbound-secret.ts';
import type { AdapterContext, InboundEvent, RawRequest, VerifyResult } from '../types.ts';
import { sesConfigOf } from './client.ts';
import { readSesEvent } from './events.ts';
import { readReceipt, type ReceiptOutcome } from './receipt.ts';
import { confirmSubscription, parseSnsMessage, type SnsMessage, verifySnsMessage } from './sns.ts';

/** SubscriptionConfirmations already answered (by SNS MessageId), so a redelivery is not confirmed twice. */
const MAX_CONFIRMED = 1_000;
const confirmed = new Map<string, number>();

/** True for a POST that SNS sent (it names its message type in a header). */
export const isSnsRequest = (request: RawRequest): boolean => request.headers.has('x-amz-sns-message-type');

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
  if (!topics.includes(message.TopicArn))
    return { ok: false, reason: 'TopicArn is not in ses_config.sns_topic_arns' };
  const verdict = await verifySnsMessage(message, {
    fetch: ctx.fetch,
    now: ctx.now,
    ...(ctx.snsTrustedHosts ? { trustedHosts: ctx.snsTrustedHosts } : {}),
  });
  return verdict.ok ? { ok: true, message } : verdict;
}

/**
 * The SES channel's webhook check. An SNS post (receipt notification, sending event, subscription message) must
 * come from an allow-listed topic with a valid SNS signature; a SubscriptionConfirmation is then confirmed once by
 * visiting its SubscribeURL and answered as a handshake (nothing stored), an UnsubscribeConfirmation is answered
 * and never visited. Anything else is the raw MIME route: the channel's inbound secret.
 */
export async function verifySesRequest(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  if (!isSnsRequest(request)) return verifyInboundSecret(request, ctx);
  const verified = await verifiedSnsMessage(request, ctx);
  if (!verified.ok) return verified;
  const { message } = verified;
  if (message.Type === 'Notification') return { ok: true };
  if (message.Type === 'UnsubscribeConfirmation') {
    ctx.logger.warn({ topicArn: message.TopicArn }, 'SNS unsubscribe confirmation received; not visited');
    return { ok: 'handshake', status: 200, body: 'unsubscribe noted' };
  }
  if (!confirmed.has(message.MessageId)) {
    const ok = await confirmSubscription(message, {
      fetch: ctx.fetch,
      now: ctx.now,
      ...(ctx.snsTrustedHosts ? { trustedHosts: ctx.snsTrustedHosts } : {}),
    }).catch(() => false);
    // SNS redelivers an unanswered confirmation: a 5xx makes it try again.
    if (!ok) return { ok: 'handshake', status: 502, body: 'could not confirm the subscription' };
    confirmed.set(message.MessageId, ctx.now());
    if (confirmed.size > MAX_CONFIRMED) confirmed.delete(confirmed.keys().next().value as string);
    ctx.logger.info({ topicArn: message.TopicArn }, 'SNS subscription confirmed');
  }
  return { ok: 'handshake', status: 200, body: 'subscription confirmed' };
}

/** The raw mail in a verified SNS receipt notification (call after verifySesRequest). */
export function sesReceivedMail(request: RawRequest): ReceiptOutcome {
  const message = parseSnsMessage(request.body);
  if (!message || message.Type !== 'Notification') return { kind: 'other' };
  return readReceipt(message.Message);
}

/**
 * A verified SNS sending event as engine events: the outbound message's status (matched by the Message-ID we
 * set, rebuilt from our message id in the tag or header) and, for a hard bounce or a complaint, the recipients
 * blocked. Events for mail we did not tag, and types we do not act on, become nothing.
 */
export function parseSesEvents(request: RawRequest, ctx?: AdapterContext): InboundEvent[] {
  const message = parseSnsMessage(request.body);
  if (!message || message.Type !== 'Notification') return [];
  const outcome = readSesEvent(message.Message);
  if (outcome.kind !== 'event') return [];
  const { event } = outcome;
  const fromEmail = String(ctx?.account.settings.from_email ?? '');
  const events: InboundEvent[] = [];
  if (event.status) {
    events.push({
      kind: 'status',
      eventId: event.eventKey,
      providerMessageId: outboundMessageId(
        { idempotencyKey: event.ourMessageId } as Parameters<typeof outboundMessageId>[0],
        fromEmail,
      ),
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
