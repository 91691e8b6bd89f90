import { z } from 'zod';
import { hostname, port } from '../validators.ts';

/**
 * Optional IMAP mailbox an email channel polls for inbound mail (any outbound provider). `secure` = implicit TLS
 * (port 993); false connects in plain text and upgrades with STARTTLS when the server offers it.
 */
export const imapConfig = z
  .object({
    host: hostname,
    port: port.default(993),
    secure: z.boolean().default(true),
    username: z.string().min(1).max(320),
    password: z.string().min(1).max(1024),
    mailbox: z.string().min(1).max(200).default('INBOX'),
  })
  .strict();

export type ImapConfig = z.infer<typeof imapConfig>;
/** imap_config as stored and handed around: everything but the (sealed) password. */
export const imapSettings = imapConfig.omit({ password: true });
export type ImapSettings = z.infer<typeof imapSettings>;

/** The vault-sealed field of imap_config, for each email provider's secretFields. */
export const IMAP_SECRET_FIELDS = ['imap_config.password'] as const;
