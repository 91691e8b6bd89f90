import { randomBytes } from 'node:crypto';
import { verifySecretHeader } from '../secret-header.ts';
import type { AdapterContext, RawRequest, TestResult, VerifyResult } from '../types.ts';
import { callCloudApi } from '../whatsapp/cloud-api.ts';
import { CloudApiError, isAuthError } from '../whatsapp/errors.ts';
import { dialog360Api } from './api.ts';

/**
 * 360dialog does not sign client webhooks, so webhook setup registers this header with a generated secret
 * and every delivery must carry it (providers.md §4).
 */
export const SECRET_HEADER = 'x-switchboard-webhook-secret';

/** A fresh webhook secret: a 360dialog channel never runs without one. */
export const newWebhookSecret = (): string => randomBytes(32).toString('base64url');

/** Checks the registered secret header in constant time; no stored secret or no header fails closed. */
export async function verifyDialog360(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  if (request.method !== 'POST') return { ok: false, reason: 'only POST deliveries' };
  return verifySecretHeader(request, ctx, SECRET_HEADER);
}

/** Registers the webhook URL with the secret header on 360dialog (`POST /v1/configs/webhook`). */
export async function setupDialog360Webhook(ctx: AdapterContext, input: { webhook_url?: string }) {
  const secret = await ctx.account.secret('webhook_secret');
  if (!secret || !input.webhook_url) throw new Error('webhook URL and secret are required');
  const api = await dialog360Api(ctx);
  await callCloudApi(ctx, api, 'POST', api.webhookConfigUrl, {
    url: input.webhook_url,
    headers: { [SECRET_HEADER]: secret },
  });
  return { url: input.webhook_url, secret_header: SECRET_HEADER };
}

/** The webhook URL 360dialog has on record for this number. */
export async function dialog360WebhookInfo(ctx: AdapterContext) {
  const api = await dialog360Api(ctx);
  const config = await callCloudApi<{ url?: string }>(ctx, api, 'GET', api.webhookConfigUrl);
  return { url: config.url ?? null, secret_header: SECRET_HEADER };
}

const FAILED = 'Failed to connect to 360dialog';

/** The key works (the webhook config can be read) and a webhook URL is configured. */
export async function testDialog360(ctx: AdapterContext): Promise<TestResult> {
  let info: { url: string | null };
  try {
    info = await dialog360WebhookInfo(ctx);
  } catch (error) {
    if (!(error instanceof CloudApiError)) throw error;
    if (isAuthError(error)) return { success: false, error: FAILED, details: 'Invalid API key' };
    if (error.status === 0)
      return { success: false, error: FAILED, details: '360dialog could not be reached' };
    return { success: false, error: FAILED, details: error.details };
  }
  if (!info.url) {
    return {
      success: false,
      error: 'The 360dialog webhook is not configured',
      details: {
        api_key_valid: true,
        webhook_configured: false,
        hint: 'POST …/channels/whatsapp/webhook/setup',
      },
    };
  }
  return {
    success: true,
    message: '360dialog connection test successful',
    details: { api_key_valid: true, webhook_configured: true, webhook_url: info.url },
  };
}
