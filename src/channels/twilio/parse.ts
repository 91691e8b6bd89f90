import type {
  AttachmentMeta,
  InboundEvent,
  InboundMessageEvent,
  InboundSender,
  InboundStatusEvent,
} from '../types.ts';
import { OUTSIDE_WINDOW_CODE } from './errors.ts';
import type { FormParams } from './signature.ts';

/**
 * Twilio's WhatsApp webhooks (providers.md §5.2, §5.3, §13) → events. Pure and total: any parameter may be
 * missing or odd; a body without a MessageSid (or, failing that, an idempotency token) yields nothing.
 */

/** Most parameters read from one body, and most media items per message (Twilio sends at most 10). */
const MAX_PARAMS = 500;
const MAX_MEDIA = 10;

/** Twilio's statuses (and EventType values) and the engine's; the rest (queued, sending…) move nothing. */
const STATUSES: Readonly<Record<string, InboundStatusEvent['status']>> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  undelivered: 'failed',
};

/** The form body as ordered name/value pairs (UTF-8; a bad percent sequence becomes U+FFFD), bounded. */
export function formParams(body: Uint8Array): [string, string][] {
  const pairs: [string, string][] = [];
  for (const pair of new URLSearchParams(new TextDecoder().decode(body))) {
    pairs.push(pair);
    if (pairs.length >= MAX_PARAMS) break;
  }
  return pairs;
}

type Params = ReadonlyMap<string, string>;

/** First value per name; empty values count as missing. */
const mapOf = (params: FormParams): Params => {
  const map = new Map<string, string>();
  for (const [name, value] of params) if (!map.has(name) && value !== '') map.set(name, value);
  return map;
};

/** `whatsapp:+4915…` → `+4915…` when that is an E.164 number. */
export function e164Of(address: string | undefined): string | undefined {
  const number = address?.replace(/^whatsapp:/i, '').trim();
  return number && /^\+[1-9]\d{1,14}$/.test(number) ? number : undefined;
}

/** Who wrote: keyed on WaId (digits, like the Cloud API's wa_id); replies go to `+E164` so the `+` is kept. */
function senderOf(p: Params): InboundSender | undefined {
  const phone = e164Of(p.get('From'));
  const waId = p.get('WaId')?.replace(/\D/g, '') || phone?.slice(1);
  if (!waId) return undefined;
  const name = p.get('ProfileName');
  return {
    platformUserId: waId,
    chatId: phone ?? `+${waId}`,
    ...(name ? { displayName: name } : {}),
    ...(phone ? { phone } : {}),
  };
}

const MEDIA_LABELS: Readonly<Record<string, string>> = {
  image: '[photo]',
  video: '[video]',
  audio: '[audio]',
  voice: '[voice message]',
  sticker: '[sticker]',
  document: '[document]',
};

function attachmentType(mime: string | undefined, messageType: string | undefined): AttachmentMeta['type'] {
  if (messageType === 'sticker' || mime === 'image/webp') return 'sticker';
  if (mime?.startsWith('image/')) return 'image';
  if (mime?.startsWith('video/')) return 'video';
  if (mime?.startsWith('audio/ogg')) return 'voice';
  if (mime?.startsWith('audio/')) return 'audio';
  return 'document';
}

type Content = { text: string; attachments: AttachmentMeta[]; metadata: Record<string, unknown> };

/**
 * Media items: a URL on a host Twilio owns (`trusted`) becomes an attachment fetched later through the media
 * proxy; any other URL is recorded as text only and never fetched. Every MediaUrl0…9 is read, so media is
 * kept when NumMedia is missing or wrong.
 */
function mediaOf(p: Params, trusted: (url: string) => boolean): Content {
  const content: Content = { text: '', attachments: [], metadata: {} };
  const untrusted: string[] = [];
  for (let n = 0; n < MAX_MEDIA; n++) {
    const url = p.get(`MediaUrl${n}`);
    if (!url) continue;
    const mime = p.get(`MediaContentType${n}`);
    if (!trusted(url)) {
      untrusted.push(url.slice(0, 2000));
      continue;
    }
    content.attachments.push({
      type: attachmentType(mime, p.get('MessageType')),
      ref: url,
      ...(mime ? { mime_type: mime.slice(0, 200) } : {}),
    });
  }
  if (untrusted.length > 0) {
    content.text = untrusted.map((url) => `[media not fetched: ${url}]`).join('\n');
    content.metadata.untrusted_media = untrusted;
  }
  return content;
}

const REFERRAL_FIELDS: Readonly<Record<string, string>> = {
  ReferralBody: 'body',
  ReferralHeadline: 'headline',
  ReferralSourceId: 'source_id',
  ReferralSourceType: 'source_type',
  ReferralSourceUrl: 'source_url',
  ReferralMediaId: 'media_id',
  ReferralMediaContentType: 'media_type',
  ReferralMediaUrl: 'media_url',
  ReferralCtwaClid: 'ctwa_clid',
};

/** Reply, forward, button and click-to-WhatsApp ad details kept on the conversation. */
function extrasOf(p: Params): Record<string, unknown> {
  const referral: Record<string, string> = {};
  for (const [field, key] of Object.entries(REFERRAL_FIELDS)) {
    const value = p.get(field);
    if (value) referral[key] = value.slice(0, 2000);
  }
  const button = p.get('ButtonPayload') ?? p.get('ListId');
  return {
    ...(p.get('OriginalRepliedMessageSid') ? { reply_to: p.get('OriginalRepliedMessageSid') } : {}),
    ...(p.get('Forwarded') === 'true' ? { forwarded: true } : {}),
    ...(p.get('FrequentlyForwarded') === 'true' ? { frequently_forwarded: true } : {}),
    ...(Object.keys(referral).length > 0 ? { referral } : {}),
    ...(button ? { button_payload: button.slice(0, 1000) } : {}),
  };
}

/** A coordinate when `value` is a number within ±`max` degrees. */
const coordinate = (value: string | undefined, max: number): number | undefined => {
  const number = value?.trim() ? Number(value) : Number.NaN;
  return Number.isFinite(number) && Math.abs(number) <= max ? number : undefined;
};

/** What the message says: body, media, a location, or a pressed button (its payload is what was "said"). */
function contentOf(p: Params, trusted: (url: string) => boolean): Content {
  const body = p.get('Body') ?? '';
  const media = mediaOf(p, trusted);
  const latitude = p.get('Latitude');
  const longitude = p.get('Longitude');
  const lat = coordinate(latitude, 90);
  const long = coordinate(longitude, 180);
  if (lat !== undefined && long !== undefined) {
    const place = [p.get('Label'), p.get('Address')].filter(Boolean).join(', ');
    const location: AttachmentMeta = {
      type: 'location',
      extra: {
        latitude: lat,
        longitude: long,
        ...(p.get('Label') ? { name: p.get('Label') } : {}),
        ...(p.get('Address') ? { address: p.get('Address') } : {}),
      },
    };
    return {
      text: `[location: ${place ? `${place} ` : ''}${latitude}, ${longitude}]`,
      attachments: [location],
      metadata: {},
    };
  }
  // A pressed quick-reply button or list item: its id (payload) is what the person "said".
  const button = p.get('ButtonPayload') ?? p.get('ListId') ?? p.get('ButtonText') ?? p.get('ListTitle');
  const first = media.attachments[0];
  const label = first ? (MEDIA_LABELS[first.type] ?? '[file]') : '';
  const text = [button ?? body, media.text].filter(Boolean).join('\n') || label || '[empty message]';
  return { text, attachments: media.attachments, metadata: media.metadata };
}

function messageEvent(
  p: Params,
  eventId: string,
  sid: string | undefined,
  trusted: (url: string) => boolean,
) {
  const sender = senderOf(p);
  if (!sender) return undefined;
  const content = contentOf(p, trusted);
  const event: InboundMessageEvent = {
    kind: 'message',
    eventId,
    ...(sid ? { providerMessageId: sid } : {}),
    sender,
    text: content.text,
    ...(content.attachments.length > 0 ? { attachments: content.attachments } : {}),
    metadata: {
      wa_id: sender.platformUserId,
      ...(sender.phone ? { phone_number: sender.phone } : {}),
      ...(sender.displayName ? { profile_name: sender.displayName } : {}),
      ...(p.get('MessageType') ? { message_type: p.get('MessageType') } : {}),
      ...extrasOf(p),
      ...content.metadata,
    },
  };
  return event;
}

function statusEvent(p: Params, sid: string): InboundStatusEvent | undefined {
  // A read receipt arrives as EventType=READ (providers.md §13), with MessageStatus=read or not.
  const twilioStatus =
    p.get('EventType')?.toUpperCase() === 'READ' ? 'read' : (stateOf(p) ?? p.get('EventType'));
  const status = twilioStatus ? STATUSES[twilioStatus.toLowerCase()] : undefined;
  if (!status) return undefined;
  const code = Number.parseInt(p.get('ErrorCode') ?? '', 10);
  const failed = status === 'failed';
  const message =
    p.get('ChannelStatusMessage') ??
    p.get('ErrorMessage') ??
    (Number.isFinite(code) ? `Twilio error ${code}` : 'failed');
  return {
    kind: 'status',
    eventId: `${sid}:${status}`,
    providerMessageId: sid,
    status,
    ...(failed
      ? { error: { code: Number.isFinite(code) ? String(code) : 'failed', message: message.slice(0, 1000) } }
      : {}),
    ...(failed && code === OUTSIDE_WINDOW_CODE ? { outsideWindow: true } : {}),
  };
}

/** Twilio's state of the message: MessageStatus, or the older SmsStatus when that is all there is. */
const stateOf = (p: Params): string | undefined => p.get('MessageStatus') ?? p.get('SmsStatus');

/** States of a message Twilio received (the inbound webhook); any other state is a status callback. */
const INBOUND_STATES = new Set(['received', 'receiving']);

/**
 * A status callback: a state that is not an inbound one (MessageStatus or SmsStatus), or, with no state at all,
 * an EventType. An inbound message may carry MessageStatus=received; a callback may carry only SmsStatus.
 */
function isStatusCallback(p: Params): boolean {
  const state = stateOf(p)?.toLowerCase();
  return state ? !INBOUND_STATES.has(state) : p.has('EventType');
}

/**
 * The events of one Twilio webhook: a status callback (see isStatusCallback) or an inbound message. Messages
 * are keyed on MessageSid, statuses on MessageSid + status; a body without a sid falls back to Twilio's
 * I-Twilio-Idempotency-Token (stable across its retries). `trusted` says which media URLs are Twilio's own;
 * a "message" from `ownNumber` (our sender: a callback of a shape not recognised) is never one to answer.
 */
export function parseTwilio(
  params: FormParams,
  options: { idempotencyToken?: string | null; trusted: (url: string) => boolean; ownNumber?: string },
): InboundEvent[] {
  const p = mapOf(params);
  const sid = p.get('MessageSid') ?? p.get('SmsMessageSid') ?? p.get('SmsSid');
  if (isStatusCallback(p)) {
    const event = sid ? statusEvent(p, sid) : undefined;
    return event ? [event] : [];
  }
  const token = options.idempotencyToken?.trim().slice(0, 200);
  const eventId = sid ?? (token ? `idempotency:${token}` : undefined);
  if (!eventId) return [];
  const event = messageEvent(p, eventId, sid, options.trusted);
  if (!event || (options.ownNumber && event.sender.phone === options.ownNumber)) return [];
  return [event];
}
