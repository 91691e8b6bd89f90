import { z } from 'zod';
import { telegramCall } from '../telegram/send.ts';
import { splitTelegramReply, TELEGRAM_TEXT_LIMIT } from '../telegram/split.ts';
import type { ProviderAdapter } from '../types.ts';
import { recordSandboxSend } from './record.ts';

/**
 * The sandbox as the Telegram Bot API: parts split as the Telegram adapter splits them (4096 visible characters,
 * then one part per file, the inline keyboard on the last) and each rendered into the exact call it makes
 * (`sendMessage` with Telegram HTML and `parse_mode: HTML`, or `sendPhoto`/`sendDocument`).
 */
export const sandboxTelegram: ProviderAdapter = {
  channel: 'telegram',
  provider: 'sandbox',
  configSchema: z.object({}),
  secretFields: [],
  splitReply: splitTelegramReply,
  send: (message, ctx) =>
    recordSandboxSend(ctx, message, `sandbox:${message.idempotencyKey}`, {
      renders_as: 'telegram',
      text_limit: TELEGRAM_TEXT_LIMIT,
      request: telegramCall(message),
    }),
};
