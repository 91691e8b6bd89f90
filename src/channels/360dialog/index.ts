import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { e164, token } from '../validators.ts';

/** 360dialog (hosted Cloud API) settings (spec: WhatsApp option 3); the key goes in D360-API-KEY. */
export const dialog360Config = z
  .object({
    phone_number: e164,
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
  secretFields: ['credentials.api_key'],
};
