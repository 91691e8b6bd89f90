import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { e164, token } from '../validators.ts';
import { cloudApiMethods } from '../whatsapp/adapter.ts';
import { parseCloudEnvelope } from '../whatsapp/envelope.ts';
import { whatsappSettings } from '../whatsapp/settings.ts';
import { dialog360Api } from './api.ts';
import {
  dialog360WebhookInfo,
  newWebhookSecret,
  setupDialog360Webhook,
  testDialog360,
  verifyDialog360,
} from './webhook.ts';

/** One decoder for every webhook body (decode without `stream` keeps no state between calls). */
const utf8 = new TextDecoder();

/**
 * 360dialog (hosted Cloud API) settings (spec: WhatsApp option 3); the key goes in D360-API-KEY.
 * `webhook_secret` is generated when not given and registered as a header by webhook setup.
 */
export const dialog360Config = z
  .object({
    phone_number: e164,
    webhook_secret: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 characters, only letters, digits, _ and -')
      .optional(),
    ...whatsappSettings,
    credentials: z
      .object({
        api_key: token(8, 512),
        client_id: token(1, 128).optional(),
      })
      .strict(),
  })
  .strict();

export const dialog360: ProviderAdapter = {
  channel: 'whatsapp',
  provider: '360dialog',
  configSchema: dialog360Config,
  secretFields: ['credentials.api_key', 'webhook_secret'],
  generatedSecrets: { webhook_secret: newWebhookSecret },
  verify: verifyDialog360,
  // One key per number: everything delivered to this account is for its number.
  parse: (request) => parseCloudEnvelope(JSON.parse(utf8.decode(request.body))),
  ...cloudApiMethods(dialog360Api),
  test: testDialog360,
  setupWebhook: setupDialog360Webhook,
  webhookInfo: dialog360WebhookInfo,
};
