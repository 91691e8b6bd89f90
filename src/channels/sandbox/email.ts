import { z } from 'zod';
import { composeReply, type Sender } from '../email/compose.ts';
import { normalizeMessageId } from '../email/headers.ts';
import type { OutboundMessage, ProviderAdapter } from '../types.ts';
import { SANDBOX_MAIL_DOMAIN } from './identity.ts';
import { recordSandboxSend } from './record.ts';

/** The From address when the agent has no email channel configured. */
export const SANDBOX_FROM_EMAIL = `agent@${SANDBOX_MAIL_DOMAIN}`;

const settingsSchema = z.object({ from_email: z.string().optional(), from_name: z.string().optional() });

/** The whole mail as bytes on the wire (RFC 5322, CRLF), built by nodemailer exactly as its SMTP transport does. */
async function buildMime(mail: ReturnType<typeof composeReply>): Promise<string> {
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await transport.sendMail(mail);
  return (info.message as Buffer).toString('utf8');
}

/** The headers the playground shows, read from what the composer set (the raw MIME stays the authority). */
function headersOf(mail: ReturnType<typeof composeReply>, message: OutboundMessage, sender: Sender) {
  return {
    from: sender.from_name ? `${sender.from_name} <${sender.from_email}>` : sender.from_email,
    to: message.recipient.chatId,
    subject: mail.subject,
    message_id: mail.messageId,
    ...(mail.inReplyTo ? { in_reply_to: mail.inReplyTo } : {}),
    ...(Array.isArray(mail.references) ? { references: mail.references.join(' ') } : {}),
    ...(mail.headers ? { auto_submitted: 'auto-replied' } : {}),
  };
}

/**
 * The sandbox as an email provider: the reply is composed exactly as every email provider composes it
 * (`composeReply`: multipart/alternative text + sanitized HTML, `Re:` subject, Message-ID, In-Reply-To and
 * References from the thread) and built into the full MIME message an SMTP server would receive. The provider id is
 * the Message-ID, as with SMTP, so the customer's answer (In-Reply-To) continues the conversation. Attachments are
 * listed by URL, never fetched.
 */
export const sandboxEmail: ProviderAdapter = {
  channel: 'email',
  provider: 'sandbox',
  configSchema: settingsSchema,
  secretFields: [],
  async send(message, ctx) {
    const settings = ctx.account.settings as Partial<Sender>;
    const sender: Sender = {
      from_email: settings.from_email ?? SANDBOX_FROM_EMAIL,
      ...(settings.from_name ? { from_name: settings.from_name } : {}),
    };
    const mail = composeReply(message, sender);
    const mime = await buildMime(mail);
    return recordSandboxSend(ctx, message, normalizeMessageId(mail.messageId) ?? mail.messageId, {
      renders_as: 'mime',
      headers: headersOf(mail, message, sender),
      text: mail.text,
      html: mail.html,
      ...(message.attachments?.length ? { attachments: message.attachments } : {}),
      mime,
    });
  },
};
