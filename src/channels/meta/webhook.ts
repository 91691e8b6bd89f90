import { webhookUrl, WEBHOOK_PREFIX } from '../../engine/webhook-route.ts';
import type { AdapterContext, TestResult } from '../types.ts';
import { callCloudApi } from '../whatsapp/cloud-api.ts';
import { CloudApiError, isAuthError } from '../whatsapp/errors.ts';
import { graphVersion, metaApi } from './api.ts';

const FAILED = 'Failed to connect to the WhatsApp Cloud API';

type PhoneNumber = {
  display_phone_number?: string;
  verified_name?: string;
  quality_rating?: string;
  id?: string;
};

/** Reads the phone number node: proves the token works and shows the number, verified name and quality rating. */
export async function testMeta(ctx: AdapterContext): Promise<TestResult> {
  try {
    const api = await metaApi(ctx);
    const fields = 'display_phone_number,verified_name,quality_rating';
    const number = await callCloudApi<PhoneNumber>(ctx, api, 'GET', `${api.phoneNumberUrl}?fields=${fields}`);
    return {
      success: true,
      message: 'WhatsApp connection test successful',
      details: {
        token_valid: true,
        phone_number_id: number.id ?? null,
        display_phone_number: number.display_phone_number ?? null,
        verified_name: number.verified_name ?? null,
        quality_rating: number.quality_rating ?? null,
        graph_version: graphVersion(ctx),
      },
    };
  } catch (error) {
    if (!(error instanceof CloudApiError)) throw error;
    if (isAuthError(error)) {
      return { success: false, error: FAILED, details: 'Invalid or expired access token' };
    }
    if (error.status === 0)
      return { success: false, error: FAILED, details: 'The Graph API could not be reached' };
    return { success: false, error: FAILED, details: error.details };
  }
}

/** The callback URLs to paste into the Meta App Dashboard, and what to subscribe to. */
export function metaWebhookInfo(ctx: AdapterContext): Promise<Record<string, unknown>> {
  const base = ctx.publicUrl;
  return Promise.resolve({
    url: base ? webhookUrl(base, 'whatsapp', ctx.account.agentId) : null,
    app_level_url: base ? `${base}${WEBHOOK_PREFIX}whatsapp` : null,
    verify_token: 'the verify_token of this channel configuration',
    fields: ['messages', 'smb_message_echoes'],
    instructions:
      "In the Meta App Dashboard, open WhatsApp > Configuration > Webhook: set the callback URL (this agent's " +
      'url, or app_level_url when one app serves several agents), enter the verify token, then subscribe to ' +
      'the listed fields. Events are checked with the App Secret (X-Hub-Signature-256).',
  });
}

/**
 * Registers a per-number callback override (Meta "webhook overrides"), so this number's events go to this
 * agent's URL while the app keeps its own callback. The verify token is this channel's.
 */
export async function setupMetaWebhook(ctx: AdapterContext, input: { webhook_url?: string }) {
  const verifyToken = await ctx.account.secret('verify_token');
  if (!input.webhook_url || !verifyToken) throw new Error('webhook URL and verify token are required');
  const api = await metaApi(ctx);
  await callCloudApi(ctx, api, 'POST', api.phoneNumberUrl, {
    webhook_configuration: { override_callback_uri: input.webhook_url, verify_token: verifyToken },
  });
  return { override_callback_uri: input.webhook_url, scope: 'phone_number' };
}
