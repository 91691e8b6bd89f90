import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { e164, token } from '../validators.ts';

/** Twilio WhatsApp settings (spec: WhatsApp option 1). The auth token also signs Twilio's webhooks. */
export const twilioConfig = z
  .object({
    phone_number: e164,
    credentials: z
      .object({
        account_sid: z
          .string()
          .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID: AC followed by 32 hex digits'),
        auth_token: token(16, 128),
      })
      .strict(),
  })
  .strict();

export const twilio: ProviderAdapter = {
  channel: 'whatsapp',
  provider: 'twilio',
  configSchema: twilioConfig,
  secretFields: ['credentials.auth_token'],
};
