import { eventTime, mailEventBuilder } from '../email/delivery-event.ts';
import { createPublicKey, verify } from 'node:crypto';
import { InboundMailError } from '../email/inbound-mail-error.ts';
import { contactAddress, OUR_MESSAGE_ID_VARIABLE, ourMessageId } from '../email/provider-ids.ts';
import type { AdapterContext, InboundEvent, RawRequest, VerifyResult } from '../types.ts';

export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** Most events read from one post (SendGrid batches them). */
const MAX_EVENTS = 1000;

/** The configured Signed Event Webhook verification key (base64 DER SubjectPublicKeyInfo, P-256). */
const publicKeyOf = (ctx: AdapterContext) =>
  (ctx.account.settings.sendgrid_config as { event_webhook_public_key?: string } | undefined)
    ?.event_webhook_public_key;

/**
 * Signed Event Webhook: ECDSA P-256 / SHA-256 over the timestamp header followed directly by the raw body,
 * checked with node:crypto against the configured public key. No key configured, a missing header or a bad
 * signature fails closed.
 */
export async function verifySendgridEvents(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  const keyText = publicKeyOf(ctx);
  if (!keyText) return { ok: false, reason: 'no event webhook public key configured' };
  const signature = request.headers.get(SIGNATURE_HEADER);
  const timestamp = request.headers.get(TIMESTAMP_HEADER);
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing signature' };
  try {
    const key = createPublicKey({ key: Buffer.from(keyText, 'base64'), format: 'der', type: 'spki' });
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.from(request.body)]);
    return verify('sha256', signed, key, Buffer.from(signature, 'base64'))
      ? { ok: true }
      : { ok: false, reason: 'bad signature' };
  } catch {
    return { ok: false, reason: 'unreadable signature or key' };
  }
}

type SendgridEvent = Record<string, unknown> & {
  event?: unknown;
  email?: unknown;
  sg_event_id?: unknown;
  sg_message_id?: unknown;
  timestamp?: unknown;
  reason?: unknown;
  response?: unknown;
  status?: unknown;
  type?: unknown;
};

const text = (value: unknown, max = 500) => (typeof value === 'string' ? value.slice(0, max) : undefined);
/**
 * Drop reasons that mean the address is on a SendGrid suppression list (bounces, spam reports, global unsubscribes,
 * invalid emails): it must not be mailed again. Whole values only: "Invalid SMTPAPI header" or "Spam Content" are
 * about the message, not the address.
 */
const SUPPRESSED = /^\s*(bounced address|spam reporting address|unsubscribed address|invalid)\s*$/i;

/** One SendGrid event → a status for our message (by our id from custom_args), and a block when it must stop. */
function eventsOf(item: SendgridEvent): InboundEvent[] {
  const kind = text(item.event, 50);
  const eventKey = text(item.sg_event_id, 200);
  if (!kind || !eventKey) return [];
  const providerMessageId = text(item.sg_message_id, 300)?.split('.')[0] ?? '';
  const messageId = ourMessageId(item[OUR_MESSAGE_ID_VARIABLE]);
  const address = contactAddress(item.email);
  const at = eventTime(item.timestamp);
  const reason = text(item.reason) ?? text(item.response) ?? kind;
  const { status, block } = mailEventBuilder({
    provider: 'sendgrid',
    eventKey,
    providerMessageId,
    messageId,
    address,
    at,
    reason,
  });
  switch (kind) {
    case 'delivered':
      return status('delivered');
    case 'bounce':
      // type "bounce" is a hard bounce; "blocked" is the receiving server refusing for now.
      return item.type === 'blocked'
        ? status('failed', text(item.status, 20) ?? 'blocked')
        : [...status('blocked', text(item.status, 20) ?? 'bounce'), ...block()];
    case 'dropped':
      return SUPPRESSED.test(reason)
        ? [...status('blocked', 'dropped'), ...block()]
        : status('failed', 'dropped');
    case 'spamreport':
    case 'unsubscribe':
      return block();
    default:
      // processed, deferred (SendGrid retries), open, click…: nothing to record. group_unsubscribe leaves one
      // suppression group (ASM), which our mail (sent with no group) is not in: nothing to block either.
      return [];
  }
}

/** The Event Webhook body: a JSON array of events (bounded), each normalized on its own. */
export function parseSendgridEvents(request: RawRequest): InboundEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(request.body).toString('utf8'));
  } catch {
    throw new InboundMailError('Event Webhook body is not JSON');
  }
  if (!Array.isArray(parsed)) throw new InboundMailError('Event Webhook body must be a JSON array of events');
  return parsed
    .slice(0, MAX_EVENTS)
    .filter((item): item is SendgridEvent => Boolean(item) && typeof item === 'object')
    .flatMap(eventsOf);
}
