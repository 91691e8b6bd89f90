import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';
import { hostname, token } from '../validators.ts';

/** Mailgun's API hosts per region; a domain lives in one region (providers.md §7). */
export const MAILGUN_REGIONS = { us: 'https://api.mailgun.net', eu: 'https://api.eu.mailgun.net' } as const;

/** Mailgun settings (spec: Email option 3), plus the domain's region. */
export const mailgunConfig = emailSender
  .extend({
    api_keys: z.object({ mailgun: token(8, 512) }).strict(),
    mailgun_config: z
      .object({
        domain: hostname,
        region: z.enum(['us', 'eu']).default('us'),
      })
      .strict(),
  })
  .strict();

export const mailgun: ProviderAdapter = {
  channel: 'email',
  provider: 'mailgun',
  configSchema: mailgunConfig,
  secretFields: ['api_keys.mailgun', ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
};
