import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { digits, e164, token } from '../validators.ts';

/**
 * WhatsApp Cloud API settings (spec: WhatsApp option 2). `verify_token` answers Meta's GET handshake and
 * `credentials.app_secret` checks X-Hub-Signature-256 on every event (providers.md §3.4), so both are required.
 */
export const metaConfig = z
  .object({
    phone_number: e164,
    verify_token: token(1, 256),
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
};
