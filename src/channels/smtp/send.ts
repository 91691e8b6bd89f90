import { composeReply, type Sender } from '../email/compose.ts';
import { fetchAttachments } from '../email/outbound-attachments.ts';
import { normalizeMessageId } from '../email/headers.ts';
import type { AdapterContext, OutboundMessage, SendResult, TestResult } from '../types.ts';
import { smtpDeliveryError, serverReply } from './errors.ts';
import { pooledTransport, smtpConfigOf, smtpOptions } from './transport.ts';

/** Sends one reply as one email over the account's pooled SMTP transport; the Message-ID is the provider id. */
export async function sendSmtp(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult> {
  const config = await smtpConfigOf(ctx);
  const mail = composeReply(message, ctx.account.settings as Sender);
  const attachments = message.attachments?.length
    ? await fetchAttachments(message.attachments, ctx.fetchPublic)
    : [];
  try {
    await (
      await pooledTransport(ctx, config)
    ).sendMail({ ...mail, ...(attachments.length ? { attachments } : {}) });
  } catch (error) {
    throw smtpDeliveryError(error, config.password);
  }
  return { providerMessageId: normalizeMessageId(mail.messageId) ?? mail.messageId };
}

/** Connects, negotiates TLS and authenticates (no mail is sent); the spec's test shapes. */
export async function testSmtp(ctx: AdapterContext): Promise<TestResult> {
  const config = await smtpConfigOf(ctx);
  const { createTransport } = await import('nodemailer');
  const transport = createTransport(smtpOptions(config, ctx));
  try {
    await transport.verify();
    return {
      success: true,
      message: 'SMTP connection test successful',
      details: {
        host: config.host,
        port: config.port,
        tls: config.secure ? 'implicit' : 'starttls',
        authenticated: Boolean(config.username && config.password),
      },
    };
  } catch (error) {
    const failure = smtpDeliveryError(error, config.password);
    const auth = failure.code === 'smtp_auth_failed';
    return {
      success: false,
      error: auth ? 'SMTP authentication failed' : 'Failed to connect to the SMTP server',
      details: serverReply(error as Error, config.password),
    };
  } finally {
    transport.close();
  }
}
