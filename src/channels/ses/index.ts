import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';

/**
 * Amazon SES v2 settings (spec: Email option 4). Access keys are optional: without them the AWS default credential
 * chain (environment, instance role) is used.
 */
export const sesConfig = emailSender
  .extend({
    ses_config: z
      .object({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-east-1'),
        access_key_id: z
          .string()
          .regex(/^(AKIA|ASIA)[A-Z0-9]{16}$/, 'must be an AWS access key id (AKIA… or ASIA…, 20 characters)')
          .optional(),
        secret_access_key: z
          .string()
          .regex(/^[A-Za-z0-9/+=]{40}$/, 'must be an AWS secret access key (40 characters)')
          .optional(),
      })
      .strict(),
  })
  .strict();

export const ses: ProviderAdapter = {
  channel: 'email',
  provider: 'ses',
  configSchema: sesConfig,
  secretFields: ['ses_config.secret_access_key', ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
};
