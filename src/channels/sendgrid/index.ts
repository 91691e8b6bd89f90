import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';

/** SendGrid settings (spec: Email option 2). API keys start with "SG." (providers.md §6). */
export const sendgridConfig = emailSender
  .extend({
    api_keys: z
      .object({
        sendgrid: z.string().regex(/^SG\.[A-Za-z0-9_.-]{10,200}$/, 'must be a SendGrid API key (SG.…)'),
      })
      .strict(),
  })
  .strict();

export const sendgrid: ProviderAdapter = {
  channel: 'email',
  provider: 'sendgrid',
  configSchema: sendgridConfig,
  secretFields: ['api_keys.sendgrid', ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
};
