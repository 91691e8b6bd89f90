import type { NodemailerError } from 'nodemailer';
import { DeliveryError } from '../errors.ts';

/** The server's reply without anything that looks like our credential (servers sometimes echo input). */
export function serverReply(error: NodemailerError, password?: string): string {
  let reply = (error.response ?? error.message ?? 'SMTP error').replace(/\s+/g, ' ').trim().slice(0, 500);
  if (password) reply = reply.split(password).join('[redacted]');
  return reply;
}

/**
 * Maps a nodemailer failure: 535 / EAUTH → permanent auth error; other 5xx → permanent with the server's
 * reply (a 5xx on RCPT is a hard bounce: the address is blocked for email); 4xx, 503 and network errors
 * → retryable.
 */
export function smtpDeliveryError(error: unknown, password?: string): DeliveryError {
  const failure = error as NodemailerError;
  const reply = serverReply(failure, password);
  const code = failure.responseCode;
  if (code === 535 || code === 534 || failure.code === 'EAUTH' || failure.code === 'ENOAUTH') {
    return new DeliveryError(`SMTP authentication failed: ${reply}`, {
      code: 'smtp_auth_failed',
      retryable: false,
      cause: error,
    });
  }
  if (code !== undefined && failure.permanent) {
    const recipient = failure.code === 'EENVELOPE' && failure.command?.toUpperCase().startsWith('RCPT');
    return new DeliveryError(`SMTP server rejected the message: ${reply}`, {
      code: recipient ? 'smtp_recipient_rejected' : 'smtp_rejected',
      retryable: false,
      blocked: Boolean(recipient),
      cause: error,
    });
  }
  return new DeliveryError(`SMTP delivery failed, will retry: ${reply}`, {
    code: code !== undefined ? 'smtp_temporary' : 'network_error',
    retryable: true,
    cause: error,
  });
}
