import type { AttachmentMeta } from '../types.ts';

/**
 * What a Telegram Message carries besides its text, read defensively from the raw object (Bot API Message fields;
 * Telegram adds fields freely, and a shape we do not expect must never reject the whole update). Each kind the
 * agent can act on becomes a short label and, for files and places, attachment metadata. Service messages (members
 * joining or leaving, titles, pins, topics, video chats, boosts, gifts, giveaway results, checklist progress…) carry
 * nothing to answer and are ignored on purpose: `contentOf` returns undefined for them.
 */
export type Content = { label: string; attachments: AttachmentMeta[] };

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, 100) : []);
/** Labels quote user-written strings; keep each short. */
const short = (v: string | undefined, max = 200) => (v && v.length > max ? `${v.slice(0, max)}…` : v);

function file(type: AttachmentMeta['type'], v: unknown): AttachmentMeta | undefined {
  const f = obj(v);
  const ref = str(f?.file_id);
  if (!f || !ref) return undefined;
  const name = str(f.file_name);
  const mime = str(f.mime_type);
  const size = num(f.file_size);
  return {
    type,
    ref,
    ...(name ? { name } : {}),
    ...(mime ? { mime_type: mime } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}

const withFile = (label: string, meta: AttachmentMeta | undefined): Content | undefined =>
  meta ? { label, attachments: [meta] } : undefined;
const labelOnly = (label: string): Content => ({ label, attachments: [] });
const named = (kind: string, name: string | undefined) => `[${kind}${name ? `: ${short(name)}` : ''}]`;

function place(m: Raw): Content | undefined {
  const venue = obj(m.venue);
  const at = obj(venue?.location) ?? obj(m.location);
  const latitude = num(at?.latitude);
  const longitude = num(at?.longitude);
  if (latitude === undefined || longitude === undefined) return undefined;
  if (venue) {
    const title = short(str(venue.title));
    const address = short(str(venue.address));
    return {
      label: `[venue: ${[title, address].filter(Boolean).join(', ')} (${latitude}, ${longitude})]`,
      attachments: [{ type: 'location', extra: { latitude, longitude, title, address } }],
    };
  }
  return {
    label: `[location: ${latitude}, ${longitude}]`,
    attachments: [{ type: 'location', extra: { latitude, longitude } }],
  };
}

function contact(v: Raw): Content | undefined {
  const phone = str(v.phone_number);
  if (!phone) return undefined;
  const name = [str(v.first_name), str(v.last_name)].filter(Boolean).join(' ');
  const first_name = str(v.first_name);
  const last_name = str(v.last_name);
  const user_id = num(v.user_id);
  return {
    label: `[contact: ${name ? `${short(name)} ` : ''}${phone}]`,
    attachments: [{ type: 'contact', extra: { phone_number: phone, first_name, last_name, user_id } }],
  };
}

const texts = (items: unknown[], field: string) =>
  items
    .map((i) => short(str(obj(i)?.[field]), 100))
    .filter(Boolean)
    .slice(0, 12)
    .join(' / ');

/** Kinds in the order Telegram's backward-compatibility rules need (animation also sets document, venue location). */
const KINDS: Array<(m: Raw) => Content | undefined> = [
  (m) => withFile('[photo]', file('image', list(m.photo).at(-1))),
  (m) => withFile('[animation]', file('video', m.animation)),
  (m) => withFile(named('document', str(obj(m.document)?.file_name)), file('document', m.document)),
  (m) => withFile('[video message]', file('video', m.video_note)),
  (m) => withFile('[video]', file('video', m.video)),
  (m) => withFile('[voice message]', file('voice', m.voice)),
  (m) =>
    withFile(
      named('audio', str(obj(m.audio)?.title) ?? str(obj(m.audio)?.file_name)),
      file('audio', m.audio),
    ),
  (m) =>
    withFile(
      `[sticker${str(obj(m.sticker)?.emoji) ? ` ${str(obj(m.sticker)?.emoji)}` : ''}]`,
      file('sticker', m.sticker),
    ),
  place,
  (m) => (obj(m.contact) ? contact(obj(m.contact) as Raw) : undefined),
  (m) => {
    const poll = obj(m.poll);
    const question = short(str(poll?.question));
    return poll && question
      ? labelOnly(`[poll: ${question} — options: ${texts(list(poll.options), 'text')}]`)
      : undefined;
  },
  (m) => {
    const dice = obj(m.dice);
    return dice ? labelOnly(`[dice ${str(dice.emoji) ?? '🎲'}: ${num(dice.value) ?? '?'}]`) : undefined;
  },
  (m) => (obj(m.game) ? labelOnly(named('game', str(obj(m.game)?.title))) : undefined),
  (m) => {
    const checklist = obj(m.checklist);
    return checklist
      ? labelOnly(
          `[checklist: ${short(str(checklist.title)) ?? ''} — ${texts(list(checklist.tasks), 'text')}]`,
        )
      : undefined;
  },
  (m) => {
    const invoice = obj(m.invoice);
    if (!invoice) return undefined;
    return labelOnly(
      `[invoice: ${short(str(invoice.title)) ?? ''}, ${num(invoice.total_amount) ?? '?'} ${str(invoice.currency) ?? ''} (smallest units)]`,
    );
  },
  (m) => {
    const paid = obj(m.successful_payment);
    if (!paid) return undefined;
    return labelOnly(
      `[payment received: ${num(paid.total_amount) ?? '?'} ${str(paid.currency) ?? ''} (smallest units)]`,
    );
  },
  (m) => (obj(m.story) ? labelOnly('[story]') : undefined),
  (m) => (obj(m.paid_media) ? labelOnly('[paid media]') : undefined),
  (m) =>
    obj(m.giveaway)
      ? labelOnly(`[giveaway: ${num(obj(m.giveaway)?.winner_count) ?? '?'} winners]`)
      : undefined,
  // A Web App's keyboard button sent data back: that data is what the user "said".
  (m) => {
    const data = str(obj(m.web_app_data)?.data);
    return data ? labelOnly(data) : undefined;
  },
  (m) => {
    const ids = list(obj(m.users_shared)?.users)
      .map((u) => num(obj(u)?.user_id))
      .filter((id) => id !== undefined);
    return ids.length > 0 ? labelOnly(`[shared users: ${ids.join(', ')}]`) : undefined;
  },
  (m) => {
    const id = num(obj(m.chat_shared)?.chat_id);
    return id !== undefined ? labelOnly(`[shared chat: ${id}]`) : undefined;
  },
];

/** The first content kind this message carries, or undefined (plain text, or a service message). */
export function contentOf(m: Raw): Content | undefined {
  for (const kind of KINDS) {
    const content = kind(m);
    if (content) return content;
  }
  return undefined;
}
