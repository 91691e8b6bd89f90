import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { hostname, port, token } from '../validators.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';
import { withImapCheck } from '../email/imap-client.ts';
import { verifyInboundSecret } from '../email/inbound-secret.ts';
import { sendSmtp, testSmtp } from './send.ts';

/** SMTP submission settings (spec: Email option 1). secure=true is implicit TLS (465); false uses STARTTLS. */
export const smtpConfig = emailSender
  .extend({
    smtp_config: z
      .object({
        host: hostname,
        port: port,
        secure: z.boolean().default(false),
        username: z.string().min(1).max(320).optional(),
        password: token(1, 1024).optional(),
      })
      .strict(),
  })
  .strict();

export const smtp: ProviderAdapter = {
  channel: 'email',
  provider: 'smtp',
  configSchema: smtpConfig,
  secretFields: ['smtp_config.password', ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
  /** The raw MIME route's credentials (shared by every email provider). */
  verify: verifyInboundSecret,
  send: sendSmtp,
  test: withImapCheck(testSmtp),
};
