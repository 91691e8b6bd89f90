import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { digits, e164, token } from '../validators.ts';
import { parseCloudEnvelope } from '../whatsapp/envelope.ts';
import { cloudApiMethods } from '../whatsapp/adapter.ts';
import { whatsappSettings } from '../whatsapp/settings.ts';
import { metaApi, phoneNumberIdOf } from './api.ts';
import { verifyMeta } from './verify.ts';
import { metaWebhookInfo, setupMetaWebhook, testMeta } from './webhook.ts';

/** One decoder for every webhook body (decode without `stream` keeps no state between calls). */
const utf8 = new TextDecoder();

/**
 * WhatsApp Cloud API settings (spec: WhatsApp option 2). `verify_token` answers Meta's GET handshake and
 * `credentials.app_secret` checks X-Hub-Signature-256 on every event (providers.md §3.4), so both are required.
 */
export const metaConfig = z
  .object({
    phone_number: e164,
    verify_token: token(1, 256),
    /** Graph API version, e.g. v25.0 (default). */
    graph_version: z
      .string()
      .regex(/^v\d{1,3}\.\d$/, 'must be a Graph API version such as v25.0')
      .optional(),
    ...whatsappSettings,
    credentials: z
      .object({
        phone_number_id: digits('phone number id'),
        access_token: token(16, 4096),
        business_account_id: digits('business account id').optional(),
        app_secret: token(8, 256),
      })
      .strict(),
  })
  .strict();

export const meta: ProviderAdapter = {
  channel: 'whatsapp',
  provider: 'meta',
  configSchema: metaConfig,
  secretFields: ['verify_token', 'credentials.access_token', 'credentials.app_secret'],
  verify: verifyMeta,
  parse(request, ctx) {
    const phoneNumberId = ctx ? phoneNumberIdOf(ctx) : undefined;
    return parseCloudEnvelope(JSON.parse(utf8.decode(request.body)), {
      ...(phoneNumberId ? { phoneNumberId } : {}),
    });
  },
  ...cloudApiMethods(metaApi),
  test: testMeta,
  setupWebhook: setupMetaWebhook,
  webhookInfo: metaWebhookInfo,
};
