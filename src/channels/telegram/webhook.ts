import { verifySecretHeader } from '../secret-header.ts';
import type { AdapterContext, RawRequest, TestResult, VerifyResult } from '../types.ts';
import { callBotApi, TelegramApiError } from './api.ts';
import { ALLOWED_UPDATES } from './updates.ts';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** Parallel webhook connections Telegram may open (its default). */
export const MAX_CONNECTIONS = 40;

/** Checks X-Telegram-Bot-Api-Secret-Token in constant time; no configured secret or header fails closed. */
export const verifySecret = (request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> =>
  verifySecretHeader(request, ctx, SECRET_HEADER);

/** setWebhook with the stored secret token, the update types this channel handles and max_connections. */
export async function setupWebhook(ctx: AdapterContext, input: { webhook_url?: string }) {
  const secret = await ctx.account.secret('webhook_secret');
  if (!secret || !input.webhook_url) throw new Error('webhook URL and secret are required');
  await callBotApi<boolean>(ctx, 'setWebhook', {
    url: input.webhook_url,
    secret_token: secret,
    allowed_updates: ALLOWED_UPDATES,
    max_connections: MAX_CONNECTIONS,
  });
  return { secret_token_set: true, allowed_updates: [...ALLOWED_UPDATES], max_connections: MAX_CONNECTIONS };
}

type WebhookInfo = {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
  max_connections?: number;
  allowed_updates?: string[];
};

/** getWebhookInfo in the spec's shape (last_error_date is null when Telegram reports no error). */
export async function webhookInfo(ctx: AdapterContext) {
  const info = await callBotApi<WebhookInfo>(ctx, 'getWebhookInfo');
  return {
    url: info.url,
    has_custom_certificate: info.has_custom_certificate,
    pending_update_count: info.pending_update_count,
    last_error_date: info.last_error_date ?? null,
    ...(info.last_error_message ? { last_error_message: info.last_error_message } : {}),
    ...(info.max_connections !== undefined ? { max_connections: info.max_connections } : {}),
    ...(info.allowed_updates ? { allowed_updates: info.allowed_updates } : {}),
  };
}

const FAILED = 'Failed to connect to Telegram API';

/** getMe (token valid? username as configured?) and getWebhookInfo (webhook set?), in the spec's shapes. */
export async function testConnection(ctx: AdapterContext): Promise<TestResult> {
  let me: { username?: string };
  try {
    me = await callBotApi<{ username?: string }>(ctx, 'getMe');
  } catch (error) {
    if (error instanceof TelegramApiError && (error.errorCode === 401 || error.errorCode === 404)) {
      return { success: false, error: FAILED, details: 'Invalid bot token' };
    }
    if (error instanceof TelegramApiError && error.errorCode !== 0) {
      return { success: false, error: FAILED, details: error.description };
    }
    return { success: false, error: FAILED, details: 'Telegram API could not be reached' };
  }
  const configured = ctx.account.settings.bot_username;
  if (typeof configured === 'string' && configured.toLowerCase() !== me.username?.toLowerCase()) {
    return {
      success: false,
      error: 'Bot username does not match the bot token',
      details: { configured_bot_username: configured, bot_username: me.username ?? null },
    };
  }
  const info = await callBotApi<WebhookInfo>(ctx, 'getWebhookInfo');
  return {
    success: true,
    message: 'Telegram connection test successful',
    details: { bot_username: me.username, webhook_set: Boolean(info.url) },
  };
}
