import { z } from 'zod';
import { truncateText } from '../../text-safety.ts';
import type { AdapterContext, AttachmentMeta, InboundEvent, InboundMessageEvent } from '../types.ts';

/** Update types the webhook asks for (setWebhook allowed_updates). */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member'] as const;

// Only the fields used are declared; Telegram adds fields freely, so objects stay loose.
const user = z.looseObject({
  id: z.number(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});
const chat = z.looseObject({ id: z.number(), type: z.string(), title: z.string().optional() });
const file = z.looseObject({
  file_id: z.string(),
  file_size: z.number().optional(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
});
const entity = z.looseObject({ type: z.string(), offset: z.number(), length: z.number() });
const baseMessage = z.looseObject({
  message_id: z.number(),
  from: user.optional(),
  chat,
  date: z.number().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(entity).optional(),
  caption_entities: z.array(entity).optional(),
  photo: z.array(file).optional(),
  document: file.optional(),
  voice: file.optional(),
  audio: file.optional(),
  video: file.optional(),
  sticker: file.extend({ emoji: z.string().optional() }).optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number() }).optional(),
  contact: z
    .looseObject({
      phone_number: z.string(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
      user_id: z.number().optional(),
    })
    .optional(),
});
const message = baseMessage.extend({ reply_to_message: baseMessage.optional() });
type Message = z.infer<typeof message>;
const update = z.looseObject({
  update_id: z.number().int(),
  message: message.optional(),
  edited_message: message.optional(),
  callback_query: z
    .looseObject({ id: z.string(), from: user, message: baseMessage.optional(), data: z.string().optional() })
    .optional(),
  my_chat_member: z
    .looseObject({ chat, from: user, new_chat_member: z.looseObject({ status: z.string() }) })
    .optional(),
});

/** What parse needs from the account's settings. */
type GroupRules = { botUsername?: string; allowedChats?: string[] };

function rulesOf(ctx: AdapterContext | undefined): GroupRules {
  const settings = ctx?.account.settings ?? {};
  const username = typeof settings.bot_username === 'string' ? settings.bot_username : undefined;
  const allowed = Array.isArray(settings.allowed_chats) ? settings.allowed_chats.map(String) : undefined;
  return {
    ...(username ? { botUsername: username.replace(/^@/, '').toLowerCase() } : {}),
    ...(allowed && allowed.length > 0 ? { allowedChats: allowed } : {}),
  };
}

/** Private chats always; groups only when allowed and the bot is @mentioned or replied to. */
function accepted(m: Message, rules: GroupRules): boolean {
  if (m.chat.type === 'private') return true;
  if (m.chat.type !== 'group' && m.chat.type !== 'supergroup') return false;
  if (rules.allowedChats && !rules.allowedChats.includes(String(m.chat.id))) return false;
  const bot = rules.botUsername;
  if (!bot) return false;
  if (m.reply_to_message?.from?.username?.toLowerCase() === bot) return true;
  const text = m.text ?? m.caption ?? '';
  const entities = m.entities ?? m.caption_entities ?? [];
  return entities.some(
    (e) => e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${bot}`,
  );
}

const fileMeta = (type: AttachmentMeta['type'], f: z.infer<typeof file>): AttachmentMeta => ({
  type,
  ref: f.file_id,
  ...(f.file_name ? { name: f.file_name } : {}),
  ...(f.mime_type ? { mime_type: f.mime_type } : {}),
  ...(f.file_size !== undefined ? { size: f.file_size } : {}),
});

/** Media as attachment metadata (file_id, type, size, name); bytes are fetched with getFile only when needed. */
function attachmentsOf(m: Message): AttachmentMeta[] {
  const list: AttachmentMeta[] = [];
  const largest = m.photo?.at(-1);
  if (largest) list.push(fileMeta('image', largest));
  if (m.document) list.push(fileMeta('document', m.document));
  if (m.voice) list.push(fileMeta('voice', m.voice));
  if (m.audio) list.push(fileMeta('audio', m.audio));
  if (m.video) list.push(fileMeta('video', m.video));
  if (m.sticker) list.push(fileMeta('sticker', m.sticker));
  if (m.location) {
    list.push({
      type: 'location',
      extra: { latitude: m.location.latitude, longitude: m.location.longitude },
    });
  }
  if (m.contact) {
    const { phone_number, first_name, last_name, user_id } = m.contact;
    list.push({ type: 'contact', extra: { phone_number, first_name, last_name, user_id } });
  }
  return list;
}

/** A short label for a message without text, so the agent knows what arrived. */
function describe(m: Message): string {
  if (m.photo?.length) return '[photo]';
  if (m.document) return `[document${m.document.file_name ? `: ${m.document.file_name}` : ''}]`;
  if (m.voice) return '[voice message]';
  if (m.audio) return `[audio${m.audio.file_name ? `: ${m.audio.file_name}` : ''}]`;
  if (m.video) return '[video]';
  if (m.sticker) return `[sticker${m.sticker.emoji ? ` ${m.sticker.emoji}` : ''}]`;
  if (m.location) return `[location: ${m.location.latitude}, ${m.location.longitude}]`;
  if (m.contact) {
    const name = [m.contact.first_name, m.contact.last_name].filter(Boolean).join(' ');
    return `[contact: ${name ? `${name} ` : ''}${m.contact.phone_number}]`;
  }
  return '';
}

/** Telegram's own limits (Bot API): a text holds 1-4096 characters, a caption 0-1024; more was not sent by Telegram. */
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;

/** The message text as recorded: its text or caption (or a label), quoting what it replies to. */
function textOf(m: Message): string {
  const own =
    m.text !== undefined
      ? truncateText(m.text, TEXT_LIMIT)
      : m.caption !== undefined
        ? truncateText(m.caption, CAPTION_LIMIT)
        : describe(m);
  const quoted = m.reply_to_message && (m.reply_to_message.text ?? m.reply_to_message.caption);
  if (!quoted) return own;
  const short = quoted.length > 200 ? `${quoted.slice(0, 200)}…` : quoted;
  return `${short
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n')}\n\n${own}`;
}

const providerMessageId = (m: { chat: { id: number }; message_id: number }) => `${m.chat.id}:${m.message_id}`;

function sender(from: z.infer<typeof user>, chatId: number) {
  const name = [from.first_name, from.last_name].filter(Boolean).join(' ');
  return {
    platformUserId: String(from.id),
    chatId: String(chatId),
    ...(from.username ? { username: `@${from.username}` } : {}),
    ...(name ? { displayName: name } : {}),
  };
}

function messageEvent(eventId: string, m: Message, edit: boolean): InboundMessageEvent | undefined {
  if (!m.from || m.from.is_bot) return undefined;
  const attachments = attachmentsOf(m);
  const group = m.chat.type !== 'private';
  return {
    kind: 'message',
    eventId,
    providerMessageId: providerMessageId(m),
    sender: sender(m.from, m.chat.id),
    text: textOf(m),
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(group
      ? { metadata: { chat_type: m.chat.type, ...(m.chat.title ? { chat_title: m.chat.title } : {}) } }
      : {}),
    ...(edit ? { editOf: providerMessageId(m) } : {}),
    ...(m.date ? { sentAt: new Date(m.date * 1000).toISOString() } : {}),
  };
}

/** One Telegram Update → the engine's events (none for updates this channel ignores). */
export function parseUpdate(body: unknown, ctx?: AdapterContext): InboundEvent[] {
  const u = update.parse(body);
  const eventId = String(u.update_id);
  const rules = rulesOf(ctx);
  const m = u.message ?? u.edited_message;
  if (m) {
    if (!accepted(m, rules)) return [];
    const event = messageEvent(eventId, m, !u.message);
    return event ? [event] : [];
  }
  if (u.callback_query) {
    const q = u.callback_query;
    // Data-less queries (games) carry nothing for the agent.
    if (q.from.is_bot || !q.data) return [];
    const chatOf = q.message?.chat;
    if (
      chatOf &&
      chatOf.type !== 'private' &&
      rules.allowedChats &&
      !rules.allowedChats.includes(String(chatOf.id))
    )
      return [];
    return [
      {
        kind: 'message',
        eventId,
        sender: sender(q.from, chatOf?.id ?? q.from.id),
        // The button's value is what the user "said".
        text: q.data,
        acknowledgeRef: q.id,
      },
    ];
  }
  if (u.my_chat_member && u.my_chat_member.chat.type === 'private') {
    const status = u.my_chat_member.new_chat_member.status;
    if (status !== 'kicked' && status !== 'member') return [];
    return [
      {
        kind: 'contact',
        eventId,
        platformUserId: String(u.my_chat_member.from.id),
        blocked: status === 'kicked',
      },
    ];
  }
  return [];
}
