import { z } from 'zod';
import { emailAddress } from './validators.ts';
import { imapConfig } from './email/imap-config.ts';

/** The sender every email provider needs (spec: from_email, from_name), and the optional inbound IMAP mailbox. */
export const emailSender = z.object({
  from_email: emailAddress,
  from_name: z.string().min(1).max(200).optional(),
  imap_config: imapConfig.optional(),
});
