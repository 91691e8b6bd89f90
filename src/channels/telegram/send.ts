import { chatTarget } from './chat-address.ts';
import { DeliveryError } from '../errors.ts';
import type { AdapterContext, OutboundAttachment, OutboundMessage, SendResult } from '../types.ts';
import { callBotApi, TelegramApiError } from './api.ts';
import { isEntityParseError, toDeliveryError } from './errors.ts';
import { markdownToTelegramHtml } from './format.ts';

/** callback_data is 1–64 bytes (providers.md §2.7). */
const CALLBACK_DATA_MAX_BYTES = 64;
const CAPTION_MAX = 1024;

/** Trims to at most `max` UTF-8 bytes without cutting a character. */
function fitBytes(value: string, max: number): string {
  let out = '';
  for (const ch of value) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/** Quick-reply buttons as an inline keyboard, one button per row. */
function keyboard(buttons: OutboundMessage['buttons']) {
  if (!buttons?.length) return undefined;
  return {
    inline_keyboard: buttons.map((b) => [
      {
        text: b.label.slice(0, 64) || b.value,
        callback_data: fitBytes(b.value, CALLBACK_DATA_MAX_BYTES) || '-',
      },
    ]),
  };
}

type SentMessage = { message_id: number; chat: { id: number } };
type Markup = ReturnType<typeof keyboard>;

/** A Bot API call as the adapter makes it: the method and its JSON parameters. */
export type TelegramCall = { method: string; params: Record<string, unknown> };

/** sendMessage with the part's markdown rendered as Telegram HTML. */
function textCall(chatId: string, text: string, markup: Markup): TelegramCall {
  return {
    method: 'sendMessage',
    params: {
      ...chatTarget(chatId),
      ...(markup ? { reply_markup: markup } : {}),
      text: markdownToTelegramHtml(text) || text,
      parse_mode: 'HTML',
    },
  };
}

/** sendPhoto or sendDocument by URL, captioned with the file's name. */
function fileCall(chatId: string, file: OutboundAttachment, markup: Markup): TelegramCall {
  const [method, field] = file.type === 'image' ? ['sendPhoto', 'photo'] : ['sendDocument', 'document'];
  return {
    method,
    params: {
      ...chatTarget(chatId),
      [field]: file.url,
      ...(file.name ? { caption: file.name.slice(0, CAPTION_MAX) } : {}),
      ...(markup ? { reply_markup: markup } : {}),
    },
  };
}

/**
 * The one Bot API call a reply part becomes (pure): its text as HTML with the inline keyboard, or one photo or
 * document by URL. Throws `unsplit_reply` for a part that is not exactly one message (see `sendTelegram`).
 */
export function telegramCall(message: OutboundMessage, chatId = message.recipient.chatId): TelegramCall {
  const text = message.text.trim();
  const files = message.attachments ?? [];
  const file = files[0];
  if (files.length > 1 || (file && text !== '') || (!file && text === '')) {
    throw new DeliveryError('A Telegram message carries either text or one attachment', {
      code: 'unsplit_reply',
      retryable: false,
    });
  }
  const markup = keyboard(message.buttons);
  return file ? fileCall(chatId, file, markup) : textCall(chatId, text, markup);
}

/** Makes the call; if Telegram cannot parse the HTML entities after all, the same text goes out plain. */
async function sendCall(ctx: AdapterContext, call: TelegramCall, plainText: string) {
  try {
    return await callBotApi<SentMessage>(ctx, call.method, call.params);
  } catch (error) {
    if (call.method !== 'sendMessage' || !isEntityParseError(error)) throw error;
    ctx.logger.warn({ channel: 'telegram' }, 'Telegram rejected the HTML entities; resending as plain text');
    const plain: Record<string, unknown> = { ...call.params, text: plainText };
    delete plain.parse_mode;
    return callBotApi<SentMessage>(ctx, call.method, plain);
  }
}

/** Sends once; when the group became a supergroup, sends once more to the new chat id (providers.md §2.6). */
async function followMigration<T>(ctx: AdapterContext, chatId: string, send: (chatId: string) => Promise<T>) {
  try {
    return await send(chatId);
  } catch (error) {
    if (!(error instanceof TelegramApiError) || error.migrateToChatId === undefined) throw error;
    const toChatId = String(error.migrateToChatId);
    ctx.logger.info(
      { channel: 'telegram', fromChatId: chatId, toChatId },
      'Telegram group was upgraded to a supergroup; resending to the new chat id',
    );
    return send(toChatId);
  }
}

/**
 * Sends one reply part as exactly one Telegram message: its text (markdown rendered as Telegram HTML) or one
 * photo/document by URL, with the inline keyboard when the part has buttons. `splitTelegramReply` makes the
 * parts; a row holding more than one message's worth is refused rather than sent in pieces, since a retry
 * after a partial send would repeat what already went out. Failures become DeliveryErrors.
 */
export async function sendTelegram(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult> {
  telegramCall(message);
  try {
    const sent = await followMigration(ctx, message.recipient.chatId, (chatId) =>
      sendCall(ctx, telegramCall(message, chatId), message.text.trim()),
    );
    return { providerMessageId: `${sent.chat.id}:${sent.message_id}` };
  } catch (error) {
    throw toDeliveryError(error);
  }
}

/** sendChatAction typing: shown for about 5 s or until the next message arrives. */
export async function sendTyping(chatId: string, ctx: AdapterContext): Promise<void> {
  await callBotApi<boolean>(ctx, 'sendChatAction', { ...chatTarget(chatId), action: 'typing' });
}
