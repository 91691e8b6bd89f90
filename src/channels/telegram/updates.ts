import { z } from 'zod';
import { normalizePhone } from '../../contacts/verified-attributes.ts';
import { truncateText } from '../../text-safety.ts';
import type { AdapterContext, InboundEvent, InboundMessageEvent } from '../types.ts';
import { callbackEvent } from './callbacks.ts';
import { chatAddress } from './chat-address.ts';
import { type Content, contentOf } from './content.ts';
import { sender } from './sender.ts';

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
const entity = z.looseObject({ type: z.string(), offset: z.number(), length: z.number() });
// Content fields (photo, venue, poll…) are read defensively by content.ts, never validated here: an unexpected
// shape in one of them must not reject the whole update (Telegram would redeliver it for days).
const baseMessage = z.looseObject({
  message_id: z.number(),
  from: user.optional(),
  chat,
  date: z.number().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(entity).optional(),
  caption_entities: z.array(entity).optional(),
  message_thread_id: z.number().optional(),
  is_topic_message: z.boolean().optional(),
  // Read as flags only: their shapes never reject an update.
  sender_chat: z.unknown().optional(),
  is_automatic_forward: z.unknown().optional(),
  forward_origin: z.unknown().optional(),
  forward_date: z.unknown().optional(),
  quote: z.unknown().optional(),
});
const message = baseMessage.extend({ reply_to_message: baseMessage.optional() });
type Message = z.infer<typeof message>;
const update = z.looseObject({
  update_id: z.number().int(),
  message: message.optional(),
  edited_message: message.optional(),
  callback_query: z
    .looseObject({
      id: z.string(),
      from: user,
      message: baseMessage.optional(),
      inline_message_id: z.string().optional(),
      data: z.string().optional(),
      game_short_name: z.string().optional(),
    })
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

/**
 * The message this one really replies to. In a forum topic, a message that replies to nothing still carries the
 * topic's root (its forum_topic_created service message, whose id is the thread id) as reply_to_message: that is
 * no reply, or every message in a topic the bot created would count as a reply to the bot.
 */
function replyOf(m: Message): Message['reply_to_message'] {
  const reply = m.reply_to_message;
  if (!reply) return undefined;
  if (m.is_topic_message && reply.message_id === m.message_thread_id) return undefined;
  return reply;
}

/**
 * Sent on behalf of a chat, not by a person: a channel post automatically forwarded into its discussion group (its
 * `from` is the fake user "Telegram", not a bot), an anonymous admin, a user posting as a channel.
 */
const onBehalfOfChat = (m: Message) => m.sender_chat !== undefined || m.is_automatic_forward === true;

/** Private chats always; groups only when allowed and the bot is @mentioned or replied to. */
function accepted(m: Message, rules: GroupRules): boolean {
  if (m.chat.type === 'private') return true;
  if (m.chat.type !== 'group' && m.chat.type !== 'supergroup') return false;
  if (rules.allowedChats && !rules.allowedChats.includes(String(m.chat.id))) return false;
  const bot = rules.botUsername;
  if (!bot) return false;
  if (replyOf(m)?.from?.username?.toLowerCase() === bot) return true;
  const text = m.text ?? m.caption ?? '';
  const entities = m.entities ?? m.caption_entities ?? [];
  // An @mention of the bot, or a command addressed to it (`/help@bot`).
  return entities.some((e) => {
    const part = text.slice(e.offset, e.offset + e.length).toLowerCase();
    return (
      (e.type === 'mention' && part === `@${bot}`) || (e.type === 'bot_command' && part.endsWith(`@${bot}`))
    );
  });
}

/** Telegram's own limits (Bot API): a text holds 1-4096 characters, a caption 0-1024; more was not sent by Telegram. */
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;

/** The part of the replied-to message the user quoted (TextQuote.text), when they picked one. */
function quoteOf(m: Message): string | undefined {
  const quote = m.quote;
  const text = quote && typeof quote === 'object' ? (quote as { text?: unknown }).text : undefined;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

/** The message text as recorded: its text or caption (or its content's label), quoting what it replies to. */
function textOf(m: Message, content: Content | undefined): string {
  const own = m.text
    ? truncateText(m.text, TEXT_LIMIT)
    : m.caption
      ? truncateText(m.caption, CAPTION_LIMIT)
      : (content?.label ?? '');
  const reply = replyOf(m);
  const quoted = quoteOf(m) ?? (reply && (reply.text ?? reply.caption));
  if (!quoted) return own;
  const short = quoted.length > 200 ? `${quoted.slice(0, 200)}…` : quoted;
  return `${short
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n')}\n\n${own}`;
}

const providerMessageId = (m: { chat: { id: number }; message_id: number }) => `${m.chat.id}:${m.message_id}`;

/**
 * The phone number of a contact the sender shared about themself (`contact.user_id` equals the sender's id, as
 * with a `request_contact` keyboard button): Telegram vouches for it. Someone else's contact, or a forwarded card
 * (whoever wrote it first chose what it says), proves nothing.
 */
function ownPhone(m: Message, content: Content | undefined): { phone?: string } {
  const shared = content?.attachments?.find((a) => a.type === 'contact')?.extra;
  if (!shared || !m.from || shared.user_id !== m.from.id) return {};
  if (m.forward_origin !== undefined || m.forward_date !== undefined) return {};
  const phone = normalizePhone(typeof shared.phone_number === 'string' ? shared.phone_number : undefined);
  return phone ? { phone } : {};
}

/**
 * One user message as an event; undefined for bots, and for a message with neither text nor content the agent can
 * act on (a service message): it must never become an empty message the agent answers.
 */
function messageEvent(eventId: string, m: Message, edit: boolean): InboundMessageEvent | undefined {
  if (!m.from || m.from.is_bot || onBehalfOfChat(m)) return undefined;
  const content = contentOf(m);
  if (!m.text?.trim() && !m.caption?.trim() && !content) return undefined;
  const attachments = content?.attachments ?? [];
  const group = m.chat.type !== 'private';
  // In a forum topic the reply goes to the same topic.
  const topic = m.is_topic_message ? m.message_thread_id : undefined;
  return {
    kind: 'message',
    eventId,
    providerMessageId: providerMessageId(m),
    sender: { ...sender(m.from, chatAddress(m.chat.id, topic)), ...ownPhone(m, content) },
    text: textOf(m, content),
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(group
      ? {
          metadata: {
            chat_type: m.chat.type,
            ...(m.chat.title ? { chat_title: m.chat.title } : {}),
            ...(topic !== undefined ? { message_thread_id: topic } : {}),
          },
        }
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
    const event = callbackEvent(eventId, u.callback_query, rules.allowedChats);
    return event ? [event] : [];
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
