import { normalizeMessageId, rawMessageId } from './headers.ts';
import type { ParsedEmail } from './parse.ts';

/** A delivery status notification (RFC 3464) about one of the mails we sent. */
export type DeliveryReport = {
  /** Message-ID of the original mail (normalized). */
  originalMessageId: string;
  /** The first failed recipient's status, e.g. `5.1.1`. */
  status: string;
  action: string;
  recipient?: string;
  diagnostic?: string;
  /** 5.x.x: the address does not work; stop mailing it. */
  permanent: boolean;
};

/** Header-style fields of a `message/delivery-status` body: one block per recipient after the first. */
function fieldBlocks(text: string): Map<string, string>[] {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]+/g, ' ')
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      return fields;
    })
    .filter((fields) => fields.size > 0);
}

/**
 * Reads a `multipart/report; report-type=delivery-status` mail: the failed recipient's Action and
 * Status and the original Message-ID (from the `message/rfc822` or `text/rfc822-headers` part).
 * Undefined for anything else, for delayed/delivered reports, and when no original id is named.
 */
export function deliveryReport(mail: ParsedEmail): DeliveryReport | undefined {
  if (!/^multipart\/report/i.test(mail.contentType)) return undefined;
  const statusPart = mail.parts.find((p) => /^message\/(global-)?delivery-status$/i.test(p.contentType));
  const originalPart = mail.parts.find((p) =>
    /^(message\/rfc822|text\/rfc822-headers|message\/global|message\/global-headers)$/i.test(p.contentType),
  );
  if (!statusPart) return undefined;
  const recipients = fieldBlocks(statusPart.content.toString('utf8')).slice(1);
  const failed = recipients.find((fields) => /^failed$/i.test(fields.get('action') ?? ''));
  if (!failed) return undefined;
  const originalMessageId =
    (originalPart && rawMessageId(originalPart.content)) ??
    (mail.headers.get('x-original-message-id')
      ? normalizeMessageId(mail.headers.get('x-original-message-id') ?? '')
      : undefined);
  if (!originalMessageId) return undefined;
  const status = /\d\.\d{1,3}\.\d{1,3}/.exec(failed.get('status') ?? '')?.[0] ?? '5.0.0';
  const recipient = (failed.get('final-recipient') ?? failed.get('original-recipient'))?.replace(
    /^[^;]*;\s*/,
    '',
  );
  const diagnostic = failed.get('diagnostic-code')?.replace(/^[^;]*;\s*/, '');
  return {
    originalMessageId,
    status,
    action: 'failed',
    ...(recipient ? { recipient: recipient.toLowerCase() } : {}),
    ...(diagnostic ? { diagnostic: diagnostic.slice(0, 500) } : {}),
    permanent: status.startsWith('5'),
  };
}
