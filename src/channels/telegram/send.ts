import type { AdapterContext, OutboundMessage, SendResult } from '../types.ts';
import { callBotApi } from './api.ts';
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

/** sendMessage as HTML; if Telegram cannot parse the entities after all, the same text goes out plain. */
async function sendText(ctx: AdapterContext, chatId: string, text: string, markup: object | undefined) {
  const base = { chat_id: chatId, ...(markup ? { reply_markup: markup } : {}) };
  try {
    return await callBotApi<SentMessage>(ctx, 'sendMessage', {
      ...base,
      text: markdownToTelegramHtml(text) || text,
      parse_mode: 'HTML',
    });
  } catch (error) {
    if (!isEntityParseError(error)) throw error;
    ctx.logger.warn({ channel: 'telegram' }, 'Telegram rejected the HTML entities; resending as plain text');
    return callBotApi<SentMessage>(ctx, 'sendMessage', { ...base, text });
  }
}

/**
 * Sends one reply part: its text (markdown rendered as Telegram HTML), then photos and documents by URL. The
 * inline keyboard rides on the last message so it sits under the reply. Failures become DeliveryErrors.
 */
export async function sendTelegram(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult> {
  const chatId = message.recipient.chatId;
  const markup = keyboard(message.buttons);
  const attachments = message.attachments ?? [];
  try {
    let first: SentMessage | undefined;
    if (message.text.trim() !== '') {
      first = await sendText(ctx, chatId, message.text, attachments.length ? undefined : markup);
    }
    for (const [i, file] of attachments.entries()) {
      const last = i === attachments.length - 1;
      const method = file.type === 'image' ? 'sendPhoto' : 'sendDocument';
      const field = file.type === 'image' ? 'photo' : 'document';
      const sent = await callBotApi<SentMessage>(ctx, method, {
        chat_id: chatId,
        [field]: file.url,
        ...(file.name ? { caption: file.name.slice(0, CAPTION_MAX) } : {}),
        ...(last && markup ? { reply_markup: markup } : {}),
      });
      first ??= sent;
    }
    if (!first) throw new Error('nothing to send');
    return { providerMessageId: `${first.chat.id}:${first.message_id}` };
  } catch (error) {
    throw toDeliveryError(error);
  }
}

/** sendChatAction typing: shown for about 5 s or until the next message arrives. */
export async function sendTyping(chatId: string, ctx: AdapterContext): Promise<void> {
  await callBotApi<boolean>(ctx, 'sendChatAction', { chat_id: chatId, action: 'typing' });
}
