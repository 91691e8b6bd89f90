import type {
  AttachmentMeta,
  InboundEchoEvent,
  InboundEvent,
  InboundMessageEvent,
  InboundSender,
} from '../types.ts';

/** A JSON object as read from a webhook: nothing is assumed about its fields. */
export type Obj = Record<string, unknown>;

export const obj = (value: unknown): Obj | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
export const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
/** The objects of an array field (other elements skipped), at most `max`. */
export const objects = (value: unknown, max: number): Obj[] =>
  Array.isArray(value) ? value.slice(0, max).flatMap((item) => (obj(item) ? [item as Obj] : [])) : [];

/** Media types and the attachment type each becomes. */
const MEDIA: Readonly<Record<string, AttachmentMeta['type']>> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  document: 'document',
  sticker: 'sticker',
};
const LABELS: Readonly<Record<string, string>> = {
  image: '[photo]',
  video: '[video]',
  audio: '[audio]',
  voice: '[voice message]',
  sticker: '[sticker]',
};

/** `+` + digits when `wa_id` looks like an E.164 number (WhatsApp vouches for it); never derived otherwise. */
const e164Of = (waId: string | undefined) => (waId && /^[1-9]\d{5,14}$/.test(waId) ? `+${waId}` : undefined);

/** A Unix-seconds timestamp as ISO 8601; undefined when missing or outside Date's range (never a throw). */
export const isoOf = (timestamp: unknown): string | undefined => {
  const seconds = Number(str(timestamp));
  const date = new Date(seconds * 1000);
  return seconds > 0 && Number.isFinite(date.getTime()) ? date.toISOString() : undefined;
};

/** A number field (`from`, `wa_id`, `to`) as digits: a leading `+` (seen in Meta's examples) is dropped. */
const waIdOf = (value: unknown): string | undefined => {
  const id = str(value);
  return id && /^\+\d+$/.test(id) ? id.slice(1) : id;
};

/**
 * Who wrote: keyed on the business-scoped user id first (`from_user_id`, `contacts[].user_id`), the number
 * second (`from`, `contacts[].wa_id`); replies go to the number when there is one, else to the user id.
 */
export function senderOf(
  ids: { waId?: string; userId?: string },
  contact: Obj | undefined,
): InboundSender | undefined {
  const platformUserId = ids.userId ?? ids.waId;
  if (!platformUserId) return undefined;
  const profile = obj(contact?.profile);
  const name = str(profile?.name);
  const username = str(profile?.username);
  const phone = e164Of(ids.waId);
  const keyedOnUserId = ids.userId !== undefined && ids.waId !== undefined;
  return {
    platformUserId,
    chatId: ids.waId ?? platformUserId,
    ...(keyedOnUserId ? { alternateIds: [ids.waId as string] } : {}),
    ...(name ? { displayName: name } : {}),
    ...(username ? { username } : {}),
    ...(phone ? { phone } : {}),
  };
}

/**
 * The `contacts[]` element describing a message's author: by user id, then number; a lone contact only when it
 * names nobody else (no user id or number to compare with the message's).
 */
function contactFor(contacts: Obj[], waId?: string, userId?: string): Obj | undefined {
  const match =
    contacts.find((c) => userId !== undefined && str(c.user_id) === userId) ??
    contacts.find((c) => waId !== undefined && waIdOf(c.wa_id) === waId);
  if (match || contacts.length !== 1) return match;
  const lone = contacts[0] as Obj;
  const comparable =
    (userId !== undefined && str(lone.user_id) !== undefined) ||
    (waId !== undefined && waIdOf(lone.wa_id) !== undefined);
  return comparable ? undefined : lone;
}

function mediaAttachment(type: string, media: Obj): AttachmentMeta {
  const voice = type === 'audio' && media.voice === true;
  const extra: Obj = {};
  for (const key of ['sha256', 'caption', 'animated', 'url'] as const) {
    if (media[key] !== undefined) extra[key] = media[key];
  }
  const name = str(media.filename);
  const mime = str(media.mime_type);
  return {
    type: voice ? 'voice' : (MEDIA[type] as AttachmentMeta['type']),
    ...(str(media.id) ? { ref: str(media.id) } : {}),
    ...(name ? { name } : {}),
    ...(mime ? { mime_type: mime } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

type Content = { text: string; attachments?: AttachmentMeta[]; metadata?: Obj; noReply?: string };

/**
 * `unsupported.type` values that act on an earlier message instead of saying something new (Meta delivers edits
 * as `unsupported` while its edit webhook is paused): recorded, never answered.
 */
const UNSUPPORTED_ACTIONS = new Set(['edit', 'poll_update', 'pin', 'keep_in_chat']);

/** An `unsupported` message: labelled with the kind Meta names in `unsupported.type`, with its errors. */
function unsupportedContent(message: Obj, type: string): Content {
  const kind = str(obj(message.unsupported)?.type) ?? str(obj(message[type])?.type);
  const errors = objects(message.errors, 5).map((e) => ({ code: e.code, title: e.title }));
  return {
    text: `[unsupported message${kind ? `: ${kind}` : ''}]`,
    metadata: { unsupported: { type: kind ?? type, ...(errors.length ? { errors } : {}) } },
    ...(kind && UNSUPPORTED_ACTIONS.has(kind) ? { noReply: `WhatsApp ${kind} it cannot show` } : {}),
  };
}

/** What a message says and carries, by type; undefined for types that are not a message from the person. */
export function contentOf(message: Obj): Content | undefined {
  const type = str(message.type) ?? 'unknown';
  const body = obj(message[type]);
  if (type === 'text') return { text: str(body?.body) ?? '' };
  if (MEDIA[type] && body) {
    const attachment = mediaAttachment(type, body);
    const label =
      type === 'document'
        ? `[document${attachment.name ? `: ${attachment.name}` : ''}]`
        : (LABELS[attachment.type] as string);
    return { text: str(body.caption) ?? label, attachments: [attachment] };
  }
  if (type === 'location' && body) {
    const place = [str(body.name), str(body.address)].filter(Boolean).join(', ');
    return {
      text: `[location: ${place ? `${place} ` : ''}${str(body.latitude)}, ${str(body.longitude)}]`,
      attachments: [{ type: 'location', extra: { ...body } }],
    };
  }
  if (type === 'contacts') {
    const cards = objects(message.contacts, 20);
    const names = cards.map((card) => str(obj(card.name)?.formatted_name) ?? 'contact');
    return {
      text: `[contact${cards.length > 1 ? 's' : ''}: ${names.join(', ')}]`,
      attachments: cards.map((card) => ({ type: 'contact' as const, extra: card })),
    };
  }
  if (type === 'interactive' && body) {
    const kind = str(body.type) ?? '';
    const reply = obj(body[kind]);
    if (kind === 'nfm_reply') {
      return {
        text: str(reply?.body) ?? '[form submitted]',
        metadata: { flow_response: str(reply?.response_json)?.slice(0, 10_000) },
      };
    }
    // The pressed button's id is its value: what the person "said".
    const text = str(reply?.id) ?? str(reply?.title) ?? `[${kind || 'interactive'}]`;
    return { text, metadata: { interactive: { type: kind, ...reply } } };
  }
  if (type === 'button' && body) {
    return {
      text: str(body.text) ?? str(body.payload) ?? '[button]',
      metadata: { button_payload: str(body.payload) },
    };
  }
  if (type === 'reaction' && body) {
    const emoji = str(body.emoji);
    // An emptied reaction withdraws it: nothing to answer.
    if (!emoji) return undefined;
    return {
      text: `[reaction ${emoji}]`,
      metadata: { reaction: { message_id: str(body.message_id), emoji } },
    };
  }
  if (type === 'order' && body) return { text: str(body.text) ?? '[order]', metadata: { order: body } };
  // The person opened the chat for the first time (welcome messages enabled): the agent greets them.
  if (type === 'request_welcome') return { text: '[opened the chat]', metadata: { request_welcome: true } };
  if (type === 'system' || type === 'edit' || type === 'revoke') return undefined;
  return unsupportedContent(message, type);
}

/** Reply, forward and ad-referral details kept on the conversation. */
function extrasOf(message: Obj): Obj {
  const context = obj(message.context);
  const referral = obj(message.referral);
  return {
    ...(str(context?.id) ? { reply_to: str(context?.id) } : {}),
    ...(context?.forwarded === true ? { forwarded: true } : {}),
    ...(context?.frequently_forwarded === true ? { frequently_forwarded: true } : {}),
    ...(referral ? { referral } : {}),
  };
}

/** Identity fields the conversation's channel_metadata shows. */
function identityMetadata(sender: InboundSender, waId: string | undefined, userId: string | undefined): Obj {
  return {
    ...(waId ? { wa_id: waId } : {}),
    ...(userId ? { user_id: userId } : {}),
    ...(sender.phone ? { phone_number: sender.phone } : {}),
    ...(sender.displayName ? { profile_name: sender.displayName } : {}),
  };
}

/** `system` messages: a changed number or user id re-keys the person's identity. */
function systemEvent(message: Obj, id: string): InboundEvent | undefined {
  const system = obj(message.system);
  const type = str(system?.type);
  if (!system || !type || !/^(user|customer)_changed_(number|user_id)$/.test(type)) return undefined;
  const previous = [
    str(system.previous_user_id),
    str(message.from_user_id),
    waIdOf(message.from),
    waIdOf(system.customer),
  ].filter((value): value is string => value !== undefined);
  const sender = senderOf(
    { waId: waIdOf(system.wa_id) ?? waIdOf(system.new_wa_id), userId: str(system.user_id) },
    undefined,
  );
  if (!sender || previous.length === 0) return undefined;
  return {
    kind: 'identity_changed',
    eventId: id,
    previousPlatformUserIds: [...new Set(previous)].filter((p) => p !== sender.platformUserId),
    sender,
    ...(isoOf(message.timestamp) ? { sentAt: isoOf(message.timestamp) } : {}),
  };
}

/**
 * An `edit` (`edit.original_message_id` + the new `edit.message`) or `revoke` (`revoke.original_message_id`) as
 * the new text of the original message; undefined for other types, or null without an original id.
 */
function editOf(message: Obj): { text: string; editOf: string } | null | undefined {
  const type = str(message.type);
  if (type !== 'edit' && type !== 'revoke') return undefined;
  const change = obj(message[type]);
  const original = str(change?.original_message_id);
  if (!original) return null;
  const edited = type === 'edit' ? contentOf(obj(change?.message) ?? {}) : undefined;
  return { text: edited?.text ?? '[deleted]', editOf: original };
}

/** One `messages[]` element → a message, an edit, an identity change, or nothing. */
export function messageEvent(message: Obj, contacts: Obj[]): InboundEvent | undefined {
  const id = str(message.id);
  if (!id) return undefined;
  const type = str(message.type);
  if (type === 'system') return systemEvent(message, id);
  const from = waIdOf(message.from);
  const fromUserId = str(message.from_user_id);
  const contact = contactFor(contacts, from, fromUserId);
  const ids = { waId: from ?? waIdOf(contact?.wa_id), userId: fromUserId ?? str(contact?.user_id) };
  const sender = senderOf(ids, contact);
  if (!sender) return undefined;
  const sentAt = isoOf(message.timestamp);
  const base = {
    kind: 'message' as const,
    eventId: id,
    providerMessageId: id,
    sender,
    ...(sentAt ? { sentAt } : {}),
  };
  const change = editOf(message);
  if (change !== undefined) return change ? { ...base, ...change } : undefined;
  const content = contentOf(message);
  if (!content) return undefined;
  const groupId = str(message.group_id);
  const event: InboundMessageEvent = {
    ...base,
    text: content.text,
    ...(content.attachments?.length ? { attachments: content.attachments } : {}),
    // A group message (Groups API) is kept, but never answered in a private chat with its author.
    ...(content.noReply ? { noReply: content.noReply } : {}),
    ...(groupId ? { noReply: 'WhatsApp group message', messageMetadata: { group_id: groupId } } : {}),
    metadata: {
      ...identityMetadata(sender, ids.waId, ids.userId),
      ...extrasOf(message),
      ...content.metadata,
    },
  };
  return event;
}

/**
 * One `message_echoes[]` element (coexistence: the business typed it in the WhatsApp Business app). An edit or
 * revoke there (same shape as the user's) changes the echoed message it names.
 */
export function echoEvent(echo: Obj): InboundEchoEvent | undefined {
  const id = str(echo.id);
  const recipient = senderOf({ waId: waIdOf(echo.to), userId: str(echo.to_user_id) }, undefined);
  const change = editOf(echo);
  const content = change === undefined ? contentOf(echo) : change;
  if (!id || !recipient || !content) return undefined;
  const sentAt = isoOf(echo.timestamp);
  return {
    kind: 'echo',
    eventId: `echo:${id}`,
    providerMessageId: id,
    recipient,
    text: content.text,
    ...('attachments' in content && content.attachments?.length ? { attachments: content.attachments } : {}),
    ...(change ? { editOf: change.editOf } : {}),
    ...(sentAt ? { sentAt } : {}),
  };
}
