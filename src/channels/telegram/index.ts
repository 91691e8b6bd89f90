import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { callBotApi, openFile, TelegramApiError } from './api.ts';
import { sendTelegram, sendTyping } from './send.ts';
import { splitTelegramReply } from './split.ts';
import { parseUpdate } from './updates.ts';
import { setupWebhook, testConnection, verifySecret, webhookInfo } from './webhook.ts';

/** One decoder for every webhook body (decode without `stream` keeps no state between calls). */
const utf8 = new TextDecoder();

/** `<numeric bot id>:<secret>` as BotFather prints it (providers.md §2.1). */
export const botToken = z
  .string()
  .regex(
    /^\d{3,20}:[A-Za-z0-9_-]{20,100}$/,
    'must be a bot token from @BotFather: digits, a colon, then the secret (123456789:ABCdef…)',
  );

/** setWebhook's secret_token: 1–256 characters from A-Z a-z 0-9 _ - (providers.md §2.2). */
export const webhookSecret = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1-256 characters, only letters, digits, _ and -');

/** Generates a webhook secret in Telegram's charset: a Telegram channel never runs without one. */
export const newWebhookSecret = (): string => randomBytes(32).toString('base64url');

/** Telegram settings (spec: Telegram). */
export const telegramConfig = z
  .object({
    bot_token: botToken,
    bot_username: z
      .string()
      .regex(
        /^@?[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]$/,
        "must be the bot's username: 5-32 letters, digits or _, ending in 'bot'",
      )
      .transform((v) => v.replace(/^@/, ''))
      .optional(),
    webhook_secret: webhookSecret.optional(),
    /** Group chats the bot answers in (chat ids); unset: any group where it is mentioned or replied to. */
    allowed_chats: z
      .array(z.union([z.string().regex(/^-?\d{1,20}$/, 'must be a numeric chat id'), z.number().int()]))
      .max(1000)
      .transform((ids) => ids.map(String))
      .optional(),
  })
  .strict();

export const telegram: ProviderAdapter = {
  channel: 'telegram',
  provider: 'telegram',
  configSchema: telegramConfig,
  secretFields: ['bot_token', 'webhook_secret'],
  generatedSecrets: { webhook_secret: newWebhookSecret },
  verify: verifySecret,
  parse(request, ctx) {
    return parseUpdate(JSON.parse(utf8.decode(request.body)), ctx);
  },
  async acknowledge(events, ctx) {
    // Always answer callback queries, or the user's client keeps spinning.
    for (const event of events) {
      if (event.kind === 'message' && event.acknowledgeRef) {
        await callBotApi(ctx, 'answerCallbackQuery', { callback_query_id: event.acknowledgeRef });
      }
    }
  },
  splitReply: splitTelegramReply,
  send: sendTelegram,
  async fetchAttachment(attachment, ctx) {
    if (!attachment.ref) throw new TelegramApiError('getFile', 400, 'Bad Request: no file_id');
    const { file, response } = await openFile(ctx, attachment.ref);
    return {
      body: response.body as ReadableStream<Uint8Array>,
      contentType: attachment.mime_type ?? response.headers.get('content-type') ?? 'application/octet-stream',
      ...(file.file_size !== undefined ? { size: file.file_size } : {}),
    };
  },
  typing: (recipient, ctx) => sendTyping(recipient.chatId, ctx),
  test: testConnection,
  setupWebhook,
  webhookInfo,
};
