import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { displayName, emailAddress, hostname, token } from './validators.ts';
import { IMAP_SECRET_FIELDS, imapConfig } from './email/imap-config.ts';

/** The generated secret an MTA presents on the raw MIME route (Basic auth user `inbound`, or a header). */
export const INBOUND_SECRET_FIELD = 'inbound_secret';
/** Secret fields every email provider shares: sealed by the vault, never shown by GET …/channels. */
export const EMAIL_SECRET_FIELDS = [INBOUND_SECRET_FIELD, ...IMAP_SECRET_FIELDS] as const;
/** Generates an inbound secret: URL-safe, so it fits in `https://inbound:<secret>@host/…`. */
export const newInboundSecret = (): string => randomBytes(32).toString('base64url');

/** The settings every email provider shares: the sender, and how inbound mail is trusted. */
export const emailSender = z.object({
  from_email: emailAddress,
  from_name: displayName.optional(),
  /** Generated when absent; the raw MIME route rejects mail without it. */
  inbound_secret: token(24, 256).optional(),
  /** Answer only mail whose From address passed DMARC or aligned DKIM (default false: answer unless forged). */
  require_authentication: z.boolean().optional(),
  /** Receiving servers (authserv-id) whose Authentication-Results header is trusted instead of checking DNS. */
  trusted_authserv_ids: z.array(hostname).max(10).optional(),
  /** An IMAP mailbox polled for inbound mail (src/mail/). */
  imap_config: imapConfig.optional(),
});
