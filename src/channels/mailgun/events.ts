import { eventTime, mailEventBuilder } from '../email/delivery-event.ts';
import { InboundMailError } from '../email/inbound-mail-error.ts';
import { contactAddress, OUR_MESSAGE_ID_VARIABLE, ourMessageId } from '../email/provider-ids.ts';
import type { AdapterContext, InboundEvent, RawRequest, VerifyResult } from '../types.ts';
import { type MailgunSignature, verifyMailgunSignature } from './signature.ts';

type EventData = {
  event?: unknown;
  id?: unknown;
  timestamp?: unknown;
  severity?: unknown;
  reason?: unknown;
  recipient?: unknown;
  message?: { headers?: { 'message-id'?: unknown } };
  'user-variables'?: Record<string, unknown>;
  'delivery-status'?: { code?: unknown; message?: unknown; description?: unknown };
};
type EventBody = { signature?: MailgunSignature; 'event-data'?: EventData };

function bodyOf(request: RawRequest): EventBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(request.body).toString('utf8'));
  } catch {
    throw new InboundMailError('Mailgun webhook body is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InboundMailError('Mailgun webhook body must be an object with signature and event-data');
  }
  return parsed as EventBody;
}

/** Event webhooks carry the signature inside the JSON body: same HMAC, window and token rule as routes. */
export async function verifyMailgunEvents(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  let body: EventBody;
  try {
    body = bodyOf(request);
  } catch {
    return { ok: false, reason: 'unreadable body' };
  }
  return verifyMailgunSignature(body.signature ?? {}, ctx);
}

const text = (value: unknown, max = 500) =>
  typeof value === 'string' ? value.slice(0, max) : typeof value === 'number' ? String(value) : undefined;

/**
 * Mailgun's last word after 8 hours of retries (`reason` "old", "Too old", code 602): the message is dropped
 * whatever its `severity` says (often still "temporary"), yet the address was never refused.
 */
const GAVE_UP = 'old';

/**
 * One event → a status for our message (by our id from `user-variables`): delivered; a permanent failure
 * fails it and blocks the address; Mailgun giving up after its retries fails it without a block; complaints and
 * unsubscribes block the address. Temporary failures (Mailgun retries), opens, clicks and `accepted` record
 * nothing.
 */
export function parseMailgunEvents(request: RawRequest): InboundEvent[] {
  const data = bodyOf(request)['event-data'];
  if (!data || typeof data !== 'object') throw new InboundMailError('Mailgun webhook body has no event-data');
  const kind = text(data.event, 50);
  const eventKey = text(data.id, 200);
  if (!kind || !eventKey) return [];
  const messageId = ourMessageId(data['user-variables']?.[OUR_MESSAGE_ID_VARIABLE]);
  const providerMessageId = text(data.message?.headers?.['message-id'], 300)?.replace(/^<|>$/g, '') ?? '';
  const address = contactAddress(data.recipient);
  const at = eventTime(data.timestamp);
  const delivery = data['delivery-status'] ?? {};
  const reason =
    text(delivery.description) || text(delivery.message) || text(data.reason) || `Mailgun event ${kind}`;
  const { status, block } = mailEventBuilder({
    provider: 'mailgun',
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
    case 'failed':
      if (data.reason === GAVE_UP) return status('failed', text(delivery.code, 20) ?? 'old');
      if (data.severity !== 'permanent') return [];
      return [...status('blocked', text(delivery.code, 20) ?? text(data.reason, 50) ?? 'failed'), ...block()];
    case 'complained':
    case 'unsubscribed':
      return block();
    default:
      return [];
  }
}
